import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { createLedgerStore, type LedgerStore } from '../src/store/ledger-store.js';
import { owner, startDelivery, TENANT_A, type Harness } from './support/harness.js';

let h: Harness;
let ledger: LedgerStore;
let workflowId: string;

beforeAll(async () => {
  h = await startDelivery();
  ledger = createLedgerStore({ em: () => h.orm.em.fork() });
  workflowId = await h.workflow(TENANT_A);
  const created = await h.gql(owner(TENANT_A), `mutation { createDestination(input: {
    name: "claims hook", kind: WEBHOOK, config: { url: "https://hooks.example.com/in", secret: "claims-secret-0123456789" } }) { id } }`);
  await h.gql(owner(TENANT_A), `mutation($w: ID!, $d: ID!) { attachDestination(input: { workflowId: $w, destinationId: $d }) { id } }`,
    { w: workflowId, d: created.data.createDestination.id });
});
afterAll(async () => { await h?.stop(); });

const run = (names: string[]) => ({
  eventId: newId(), tenantId: TENANT_A, executionId: newId(), workflowId, at: new Date(),
  artifacts: names.map((name) => ({ fileId: newId(), name, size: 1, sha256: 'a'.repeat(64), contentType: 'text/csv' })),
});
const drain = async () => { while ((await ledger.claimDue(50, 600_000)).length); };

describe('the ledger\'s claims', () => {
  it('records a run once, whatever the number of times its event arrives', async () => {
    const event = run(['a.csv', 'b.csv']);
    expect(await ledger.recordSucceededRun(event)).toBe(2);
    expect(await ledger.recordSucceededRun(event)).toBe(0);
    expect(await ledger.recordSucceededRun({ ...event, eventId: newId() })).toBe(0);
    await drain();
  });

  it('gives concurrent claimers different deliveries (SKIP LOCKED), never the same one twice', async () => {
    await ledger.recordSucceededRun(run(['1.csv', '2.csv', '3.csv', '4.csv', '5.csv', '6.csv']));
    const claims = await Promise.all(Array.from({ length: 6 }, () => ledger.claimDue(1, 600_000)));
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length + (await ledger.claimDue(10, 600_000)).length).toBe(6);
  });

  it('lets another worker take over an expired lease, and drops the first worker\'s late result', async () => {
    await ledger.recordSucceededRun(run(['slow.csv']));
    const [first] = await ledger.claimDue(1, 1);
    expect(first).toBeDefined();
    await new Promise((r) => setTimeout(r, 20));
    const [second] = await ledger.claimDue(1, 600_000);
    expect(second).toMatchObject({ id: first!.id, attempt_count: 2 });
    const outcome = { at: new Date(), durationMs: 5, outcome: 'SUCCEEDED' as const, error: null, next: { status: 'SUCCEEDED' as const } };
    expect(await ledger.finishAttempt(first!, outcome)).toBe(false);
    expect(await ledger.finishAttempt(second!, outcome)).toBe(true);
    const [row] = await h.orm.em.fork().getConnection().execute<Array<{ status: string; attempts: string }>>(
      `select d.status, (select count(*) from "delivery"."delivery_attempts" a where a.delivery_id = d.id) as attempts from "delivery"."deliveries" d where d.id = ?`, [first!.id]);
    expect(row).toEqual({ status: 'SUCCEEDED', attempts: '1' });
  });

  it('redelivers only finished deliveries, and only the owner tenant\'s', async () => {
    await ledger.recordSucceededRun(run(['again.csv']));
    const [claimed] = await ledger.claimDue(1, 600_000);
    expect(await ledger.redeliver(TENANT_A, claimed!.id)).toBe('not-finished');
    await ledger.finishAttempt(claimed!, { at: new Date(), durationMs: 1, outcome: 'FAILED', error: 'HTTP: 500', next: { status: 'DEAD' } });
    expect(await ledger.redeliver(newId(), claimed!.id)).toBe('not-found');
    expect(await ledger.redeliver(TENANT_A, claimed!.id)).toBe('redelivered');
    const [again] = await ledger.claimDue(1, 600_000);
    expect(again).toMatchObject({ id: claimed!.id, attempt_count: 1, idempotency_key: claimed!.idempotency_key });
  });
});
