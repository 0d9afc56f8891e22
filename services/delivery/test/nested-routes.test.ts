import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, tenantEm } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { createRoutesDomain } from '../src/domain/routes.js';
import { startDelivery, viewer, type GraphQLResult, type Harness } from './support/harness.js';

/**
 * `Workflow.routes` (the gateway's `_entities` call naming every workflow of a list) and `Destination.routes` (a page of
 * destinations): each parent's field must answer what it answers for that parent alone, and the whole request must
 * cost the same few statements however many parents it names.
 */

let h: Harness;
const acme = newId();
const other = newId();
/** Acme's destinations, with 1, 2, 3, 5 and 8 routes; round r routes workflow r to each destination with more than r. */
const ROUTES = [1, 2, 3, 5, 8];
const destinations = ROUTES.map(() => newId());
/** Acme's workflows: workflow r has a route to each destination with more than r routes (5, 4, 3, 3, 2, 1, 1, 1). */
const workflows = Array.from({ length: Math.max(...ROUTES) }, () => newId());
/** Other Co's own destination and workflow, with one route between them. */
const [theirDestination, theirWorkflow] = [newId(), newId()];
/** 50 more destinations of Acme's, with 1 to 4 routes each, each of a workflow of its own. */
const many = Array.from({ length: 50 }, () => newId());
const manyWorkflows: string[] = [];

const sql = (query: string, params: unknown[] = []) => h.orm.em.fork().getConnection().execute(query, params);
const insertDestination = (tenantId: string, id: string) => sql(`insert into delivery.destinations (id, tenant_id, name, kind, config, created_at, updated_at)
  values (?, ?, ?, 'WEBHOOK', '{"url": "https://example.com/hook"}', now(), now())`, [id, tenantId, `hook ${id}`]);
const insertRoute = (tenantId: string, workflowId: string, destinationId: string) => sql(`insert into delivery.routes
  (id, tenant_id, workflow_id, destination_id, created_at) values (?, ?, ?, ?, now())`, [newId(), tenantId, workflowId, destinationId]);

beforeAll(async () => {
  h = await startDelivery();
  for (const id of [...destinations, ...many]) await insertDestination(acme, id);
  await insertDestination(other, theirDestination);
  for (const [round, workflowId] of workflows.entries()) {
    for (const [i, destinationId] of destinations.entries()) if (round < ROUTES[i]!) await insertRoute(acme, workflowId, destinationId);
    if (round === 0) await insertRoute(other, theirWorkflow, theirDestination);
  }
  for (const [i, destinationId] of many.entries()) {
    for (let r = 0; r <= i % 4; r++) {
      manyWorkflows.push(newId());
      await insertRoute(acme, manyWorkflows.at(-1)!, destinationId);
    }
  }
}, 60_000);
afterAll(async () => { await h?.stop(); });

const PAGE = 'edges { cursor node { id workflowId } } pageInfo { hasNextPage endCursor }';
const WORKFLOWS = (fields: string) => `query($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Workflow { routes(first: $first, after: $after) { ${fields} } } } }`;
const DESTINATIONS = (fields: string) => `query($n: Int, $first: Int, $after: String) {
  destinations(first: $n) { edges { node { id routes(first: $first, after: $after) { ${fields} } } } } }`;
const DESTINATION = (fields: string) => `query($id: ID!, $first: Int, $after: String) {
  destination(id: $id) { routes(first: $first, after: $after) { ${fields} } } }`;
const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'Workflow', id }));
const codeAndPath = (result: GraphQLResult) => (result.errors ?? []).map((e) => [e.extensions.code, e.path?.join('.')]);
type Args = { first?: number; after?: string | null };

function must(result: GraphQLResult) {
  expect(result.errors).toBeUndefined();
  return result.data;
}
const workflowsTogether = async (tenantId: string, ids: string[], args: Args, fields: string) =>
  must(await h.gql(viewer(tenantId), WORKFLOWS(fields), { r: representations(ids), ...args }))._entities.map((w: any) => w.routes);
/** Each workflow's routes asked for alone, one request per workflow. */
const workflowsAlone = (tenantId: string, ids: string[], args: Args, fields: string) =>
  Promise.all(ids.map((id) => workflowsTogether(tenantId, [id], args, fields).then(([routes]) => routes)));
const destinationsTogether = async (tenantId: string, n: number, args: Args, fields: string) =>
  must(await h.gql(viewer(tenantId), DESTINATIONS(fields), { n, ...args })).destinations.edges.map((e: any) => [e.node.id, e.node.routes]);
const destinationsAlone = (tenantId: string, ids: string[], args: Args, fields: string) => Promise.all(ids.map(async (id) =>
  [id, must(await h.gql(viewer(tenantId), DESTINATION(fields), { id, ...args })).destination.routes]));

describe('Workflow.routes of many workflows in one request', () => {
  it('answers each workflow what it answers alone, for every first and after', async () => {
    const oldest = (await workflowsAlone(acme, [workflows[0]!], { first: 100 }, PAGE))[0].edges.map((e: any) => e.cursor);
    // Cursors of the first workflow's routes: older than every other route, among the others', the last of its own.
    const cursors = [null, oldest[0], oldest[2], oldest.at(-1)];
    for (const after of cursors) {
      for (const first of [0, 1, 2, 3, 20]) {
        const fields = `${PAGE} totalCount`;
        expect(await workflowsTogether(acme, workflows, { first, after }, fields), `first ${first}, after ${after}`)
          .toEqual(await workflowsAlone(acme, workflows, { first, after }, fields));
      }
    }
    // A workflow named in capitals or twice, and the default page size.
    const named = [workflows[1]!.toUpperCase(), workflows[1]!, workflows[0]!];
    expect(await workflowsTogether(acme, named, {}, `${PAGE} totalCount`))
      .toEqual(await workflowsAlone(acme, [workflows[1]!, workflows[1]!, workflows[0]!], {}, `${PAGE} totalCount`));
  });

  it('reads the routes of 50 workflows in one statement, and their counts in one more', async () => {
    const sent = async (ids: string[], fields: string) => {
      const { result, statements } = await captureSql(h.orm as never, () => h.gql(viewer(acme), WORKFLOWS(fields), { r: representations(ids), first: 2 }));
      expect(must(result)._entities).toHaveLength(ids.length);
      return selects(statements);
    };
    const pages = await sent(manyWorkflows.slice(0, 50), PAGE);
    expect(pages).toHaveLength(1);
    const counted = await sent(manyWorkflows.slice(0, 50), `${PAGE} totalCount`);
    expect(counted).toHaveLength(2);
    expect(counted.filter((s) => /count\(/i.test(s))).toHaveLength(1);
    expect(await sent(manyWorkflows.slice(0, 5), `${PAGE} totalCount`)).toHaveLength(2);
  });
});

describe('Destination.routes of a page of destinations', () => {
  it('answers each destination what destination(id) { routes } answers it alone, for every first and after', async () => {
    const newestFirst = [...(await destinationsAlone(acme, [destinations.at(-1)!], { first: 100 }, PAGE))[0]![1].edges].map((e: any) => e.cursor);
    const cursors = [null, newestFirst[0], newestFirst[3], newestFirst.at(-1)];
    for (const after of cursors) {
      for (const first of [0, 1, 2, 3, 20]) {
        const fields = `${PAGE} totalCount`;
        const listed = await destinationsTogether(acme, 100, { first, after }, fields);
        expect(listed.map(([id]: [string]) => id)).toEqual([...destinations, ...many]);
        expect(listed, `first ${first}, after ${after}`).toEqual(await destinationsAlone(acme, [...destinations, ...many], { first, after }, fields));
      }
    }
  });

  it('reads the routes of 55 destinations in one statement, and their counts in one more', async () => {
    const sent = async (n: number, fields: string) => {
      const { result, statements } = await captureSql(h.orm as never, () => h.gql(viewer(acme), DESTINATIONS(fields), { n, first: 2 }));
      expect(must(result).destinations.edges).toHaveLength(n);
      return selects(statements).filter((s) => /"delivery"\."routes"/.test(s));
    };
    expect(await sent(55, PAGE)).toHaveLength(1);
    const counted = await sent(55, `${PAGE} totalCount`);
    expect(counted).toHaveLength(2);
    expect(counted.filter((s) => /count\(/i.test(s))).toHaveLength(1);
    expect(await sent(5, `${PAGE} totalCount`)).toHaveLength(2);
  });
});

describe('routes across tenants', () => {
  it('answers another tenant\'s workflows and destinations as ones without routes, batched beside the caller\'s own', async () => {
    const none = { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    const fields = `${PAGE} totalCount`;
    const mixed = await workflowsTogether(other, [workflows[0]!, theirWorkflow, workflows[1]!], { first: 5 }, fields);
    expect(mixed).toEqual([none, ...(await workflowsAlone(other, [theirWorkflow], { first: 5 }, fields)), none]);
    expect(mixed[1].edges).toHaveLength(1);

    // Through the API another tenant's destination is not found at all, before its routes: the domain is asked directly.
    const routes = createRoutesDomain({ destinations: undefined as never, checkWorkflow: undefined as never });
    const em = tenantEm(h.orm, other);
    const pages = await Promise.all([destinations.at(-1)!, theirDestination, destinations[2]!].map((id) => routes.forDestination(em, id, { first: 5 })));
    expect(await Promise.all(pages.map(async (p) => [p.rows.map((r) => r.workflowId), await p.count()])))
      .toEqual([[[], 0], [[theirWorkflow], 1], [[], 0]]);
  });
});

describe('routes refusals', () => {
  it('refuses a malformed cursor and a first outside 0..100 at every parent\'s field', async () => {
    for (const args of [{ after: 'not a cursor' }, { first: 101 }, { first: -1 }]) {
      const result = await h.gql(viewer(acme), WORKFLOWS(PAGE), { r: representations(workflows.slice(0, 2)), ...args });
      expect(codeAndPath(result).sort(), JSON.stringify(args)).toEqual([['BAD_USER_INPUT', '_entities.0.routes'], ['BAD_USER_INPUT', '_entities.1.routes']]);
      const listed = await h.gql(viewer(acme), DESTINATIONS(PAGE), { n: 2, ...args });
      // The connection is non-null: the first refusal nulls the list, as it did when each destination read its own page.
      expect(codeAndPath(listed), JSON.stringify(args)).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^destinations\.edges\.[01]\.node\.routes$/)]]);
    }
  });
});
