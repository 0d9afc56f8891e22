import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { startDelivery, viewer, type GraphQLResult, type Harness } from './support/harness.js';

/**
 * `Destination` and `Delivery` as the gateway asks for them: one `_entities` call naming many, and `Delivery.destination`
 * of every delivery of a page. Each must answer what it answers alone (the row, or NOT_FOUND at its own index; a
 * deleted destination's field null), and the request must cost one statement per type read, however many it names.
 */

let h: Harness;
const acme = newId();
const other = newId();
/** Acme's 30 destinations, and a delivery to each; then a delivery whose destination was deleted. */
const destinations = Array.from({ length: 30 }, () => newId());
const deliveries: string[] = [];
let orphan: string;
/** Other Co's destination and a delivery to it. */
const theirDestination = newId();
let theirDelivery: string;

const sql = (query: string, params: unknown[] = []) => h.orm.em.fork().getConnection().execute(query, params);
const insertDestination = (tenantId: string, id: string) => sql(`insert into delivery.destinations (id, tenant_id, name, kind, config, created_at, updated_at)
  values (?, ?, ?, 'WEBHOOK', '{"url": "https://example.com/hook"}', now(), now())`, [id, tenantId, `hook ${id} of ${tenantId}`]);

beforeAll(async () => {
  h = await startDelivery();
  for (const id of destinations) {
    await insertDestination(acme, id);
    deliveries.push(await h.insertDelivery({ tenantId: acme, executionId: newId(), destinationId: id, attempts: deliveries.length % 3 }));
  }
  orphan = await h.insertDelivery({ tenantId: acme, executionId: newId() });
  await insertDestination(other, theirDestination);
  theirDelivery = await h.insertDelivery({ tenantId: other, executionId: newId(), destinationId: theirDestination, artifactName: `secret of ${other}` });
}, 60_000);
afterAll(async () => { await h?.stop(); });

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Destination { id name kind enabled }
  ... on Delivery { id status artifactName attemptCount destination { id name } attempts { outcome error } } } }`;
const refs = (typename: string, ids: string[]) => ids.map((id) => ({ __typename: typename, id }));
/** Each item of `_entities`: its data, or the codes and paths of the errors under its index (and the data, null). */
const answers = (result: GraphQLResult) => (result.data!._entities as unknown[]).map((data, i) => {
  const errors = (result.errors ?? []).filter((e) => e.path?.[1] === i);
  return errors.length ? { data, errors: errors.map((e) => [e.extensions.code, e.path!.slice(2).join('.')]) } : { data };
});
const resolve = async (tenantId: string, r: Array<{ __typename: string; id: string }>) => answers(await h.gql(viewer(tenantId), ENTITIES, { r }));
/** Each representation in a request of its own: one reference resolver call, as before batching. */
const alone = (tenantId: string, r: Array<{ __typename: string; id: string }>) =>
  Promise.all(r.map(async (ref) => (await resolve(tenantId, [ref]))[0]));
/** Acme's own, another tenant's, missing, malformed, in capitals, repeated: every kind of id a representation may hold. */
const mixed = (own: string[], theirs: string) => [own[0]!, theirs, newId(), 'not-an-id', own[1]!.toUpperCase(), own[2]!, '', own[0]!, own[3]!];

describe('Destination and Delivery references of one _entities call', () => {
  it('answer each destination what it answers alone: the row, or NOT_FOUND at its index and the others unharmed', async () => {
    const r = refs('Destination', mixed(destinations, theirDestination));
    const together = await resolve(acme, r);
    expect(together).toEqual(await alone(acme, r));
    expect(together.map((a) => a.errors ?? (a.data as any).id)).toEqual([
      destinations[0], [['NOT_FOUND', '']], [['NOT_FOUND', '']], [['NOT_FOUND', '']], destinations[1], destinations[2], [['NOT_FOUND', '']],
      destinations[0], destinations[3],
    ]);
  });

  it('answer each delivery what it answers alone, with its destination (null once deleted) and attempts', async () => {
    const r = refs('Delivery', [...mixed(deliveries, theirDelivery), orphan]);
    const together = await resolve(acme, r);
    expect(together).toEqual(await alone(acme, r));
    expect(together.map((a) => a.errors?.[0]?.[0] ?? (a.data as any).destination?.id ?? 'deleted')).toEqual([
      destinations[0], 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', destinations[1], destinations[2], 'NOT_FOUND', destinations[0], destinations[3], 'deleted',
    ]);
    expect(together[4]!.data).toMatchObject({ id: deliveries[1], status: 'FAILED', attemptCount: 1, attempts: [{ outcome: 'FAILED', error: 'try 1' }] });
  });

  it('read 30 destinations in one statement, and 30 deliveries with their destinations in one each', async () => {
    const statements = async (r: Array<{ __typename: string; id: string }>) => {
      const { result, statements: sent } = await captureSql(h.orm as never, () => h.gql(viewer(acme), ENTITIES, { r }));
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(r.length);
      return selects(sent);
    };
    expect(await statements(refs('Destination', destinations))).toHaveLength(1);
    const ofDeliveries = await statements(refs('Delivery', deliveries));
    expect(ofDeliveries.filter((s) => /from "delivery"\."deliveries"/.test(s))).toHaveLength(1);
    expect(ofDeliveries.filter((s) => /from "delivery"\."destinations"/.test(s))).toHaveLength(1);
    // And their attempts, one more (already batched before).
    expect(ofDeliveries).toHaveLength(3);
    expect(await statements(refs('Delivery', deliveries.slice(0, 5)))).toHaveLength(3);
  });

  it('read the destinations of a page of deliveries in one statement', async () => {
    const { result, statements } = await captureSql(h.orm as never, () => h.gql(viewer(acme), `{ deliveries(first: 50) { edges { node { id destination { id } } } } }`));
    expect(result.errors).toBeUndefined();
    const listed = result.data!.deliveries.edges.map((e: any) => [e.node.id, e.node.destination?.id ?? null]);
    expect(listed).toEqual([...deliveries, orphan].reverse().map((id) => [id, id === orphan ? null : destinations[deliveries.indexOf(id)]]));
    expect(selects(statements).filter((s) => /from "delivery"\."destinations"/.test(s))).toHaveLength(1);
  });
});

describe('Destination and Delivery references across tenants', () => {
  it('answer another tenant\'s destinations and deliveries NOT_FOUND, batched beside the caller\'s own', async () => {
    const result = await h.gql(viewer(other), ENTITIES, {
      r: [...refs('Destination', [destinations[0]!, theirDestination]), ...refs('Delivery', [deliveries[0]!, theirDelivery, deliveries[1]!])],
    });
    expect(answers(result).map((a) => a.errors?.[0]?.[0] ?? (a.data as any).id)).toEqual(['NOT_FOUND', theirDestination, 'NOT_FOUND', theirDelivery, 'NOT_FOUND']);
    expect((result.data!._entities[3] as any).destination).toEqual({ id: theirDestination, name: `hook ${theirDestination} of ${other}` });
    expect(JSON.stringify(result)).not.toContain(`of ${acme}`);
  });
});
