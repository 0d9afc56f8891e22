import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusEvent } from '../src/events/messages.js';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { startExecutionsPlatform, type ExecutionsPlatform } from './support/platform.js';

const LEASE = 60_000;
const succeeded = { status: 'SUCCEEDED' as const, phase: null, events: [statusEvent('SUCCEEDED', null)] };

describe('the per-tenant limit, in the run store', () => {
  let db: ExecutionsDatabase;
  let store: RunStore;
  beforeAll(async () => {
    db = await startExecutionsDatabase();
    store = createRunStore({ em: () => db.orm.em.fork(), tenantLimit: 2 });
  });
  afterAll(async () => { await db?.stop(); });

  const statusOf = async (id: string) => (await db.sql<{ status: string }>('select "status" from "executions"."executions" where "id" = ?', [id]))[0]!.status;
  const requestedKeys = async () => (await db.sql<{ key: string }>(
    `select "key" from "executions"."outbox" where "topic" = 'executions.requested' order by "id"`)).map((r) => r.key);

  it('queues a tenant\'s runs beyond its limit, in order, while another tenant still starts at once', async () => {
    const a = randomUUID();
    const [a1, a2, a3, a4] = [await db.insertRun({ tenantId: a }), await db.insertRun({ tenantId: a }), await db.insertRun({ tenantId: a }), await db.insertRun({ tenantId: a })];
    const b1 = await db.insertRun();

    expect((await store.claim(a1!.id, 'w', LEASE)).kind).toBe('claimed');
    expect((await store.claim(a2!.id, 'w', LEASE)).kind).toBe('claimed');
    expect(await store.claim(a3!.id, 'w', LEASE)).toEqual({ kind: 'queued' });
    expect(await store.claim(a4!.id, 'w', LEASE)).toEqual({ kind: 'queued' });
    expect([await statusOf(a3!.id), await statusOf(a4!.id)]).toEqual(['QUEUED', 'QUEUED']);
    expect((await store.claim(b1.id, 'w', LEASE)).kind).toBe('claimed');

    // A slot frees: the oldest waiting run (a3) is requested again, and only it.
    const before = (await requestedKeys()).length;
    expect(await store.transition(a1!, 'w', succeeded)).toBe(true);
    expect((await requestedKeys()).slice(before)).toEqual([a3!.id]);
    // A younger run asking first still waits behind the older one.
    expect(await store.claim(a4!.id, 'w', LEASE)).toEqual({ kind: 'queued' });
    expect((await store.claim(a3!.id, 'w', LEASE)).kind).toBe('claimed');
    expect(await store.claim(a4!.id, 'w', LEASE)).toEqual({ kind: 'queued' });
  });

  it('gives at most `limit` of many concurrent claims of one tenant a slot, and only to its oldest runs', async () => {
    const tenantId = randomUUID();
    const runs: Awaited<ReturnType<typeof db.insertRun>>[] = [];
    for (let i = 0; i < 8; i++) runs.push(await db.insertRun({ tenantId }));
    const results = await Promise.all(runs.map((r, i) => store.claim(r.id, `worker-${i}`, LEASE)));
    const claimed = runs.filter((_, i) => results[i]!.kind === 'claimed').map((r) => r.id);
    expect(claimed.length).toBeGreaterThanOrEqual(1);
    expect(claimed.length).toBeLessThanOrEqual(2);
    expect(claimed).toEqual(runs.slice(0, claimed.length).map((r) => r.id));
    expect(results.filter((r) => r.kind === 'queued')).toHaveLength(8 - claimed.length);
  });

  it('frees the slot of a run whose lease expired (a dead worker holds none)', async () => {
    const tenantId = randomUUID();
    const [dead, live, waiting] = [await db.insertRun({ tenantId }), await db.insertRun({ tenantId }), await db.insertRun({ tenantId })];
    await store.claim(dead!.id, 'dead-worker', LEASE);
    await store.claim(live!.id, 'w', LEASE);
    await db.sql(`update "executions"."executions" set "lease_expires_at" = now() - interval '1 second' where "id" = ?`, [dead!.id]);
    expect((await store.claim(waiting!.id, 'w', LEASE)).kind).toBe('claimed');
  });
});

describe('the per-tenant limit, end to end', () => {
  let p: ExecutionsPlatform;
  beforeAll(async () => { p = await startExecutionsPlatform({ executions: { tenantLimit: 1, sweepIntervalMs: 500 } }); });
  afterAll(async () => { await p?.stop(); });

  it('runs a busy tenant\'s runs one at a time in the order they came, and every other tenant\'s runs too', async () => {
    const busy = await p.tenant('Busy');
    const quiet = await p.tenant('Quiet');
    const [bw, qw] = [await busy.workflow(), await quiet.workflow()];
    const [bf, qf] = [await busy.upload(), await quiet.upload()];
    const busyRuns: string[] = [];
    for (let i = 0; i < 5; i++) busyRuns.push(await busy.run({ workflowVersionId: bw.versionId, fileId: bf }));
    const quietRuns = [await quiet.run({ workflowVersionId: qw.versionId, fileId: qf }), await quiet.run({ workflowVersionId: qw.versionId, fileId: qf })];
    for (const id of busyRuns) expect((await busy.ended(id)).status).toBe('SUCCEEDED');
    for (const id of quietRuns) expect((await quiet.ended(id)).status).toBe('SUCCEEDED');

    // With a limit of one, a tenant's runs never overlap, and they started in the order they were accepted.
    for (const [tenantId, ids] of [[busy.tenantId, busyRuns], [quiet.tenantId, quietRuns]] as const) {
      const rows = await p.sql<{ id: string; started_at: string; finished_at: string }>(
        `select "id", "started_at", "finished_at" from "executions"."executions" where "tenant_id" = ? order by "started_at"`, [tenantId]);
      expect(rows.map((r) => r.id)).toEqual(ids);
      for (let i = 1; i < rows.length; i++) expect(new Date(rows[i]!.started_at).getTime()).toBeGreaterThanOrEqual(new Date(rows[i - 1]!.finished_at).getTime());
    }
  });
});
