import { setTimeout as sleep } from 'node:timers/promises';
import { ExecutionPhase, ExecutionStatus } from '@rowline/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

let db: ExecutionsDatabase;
let store: RunStore;
beforeAll(async () => {
  db = await startExecutionsDatabase();
  store = createRunStore({ em: () => db.orm.em.fork() });
});
afterAll(async () => { await db?.stop(); });

const LONG_LEASE = 60_000;
const rowOf = async (id: string) => (await db.sql<{ status: string; attempt: number; lease_owner: string | null; lease_expires_at: string | null }>(
  'select "status", "attempt", "lease_owner", "lease_expires_at" from "executions"."executions" where "id" = ?', [id]))[0]!;
const succeeded = { status: 'SUCCEEDED' as const, phase: null, events: [{ case: 'statusChanged' as const, value: { status: ExecutionStatus.SUCCEEDED, phase: ExecutionPhase.UNSPECIFIED } }] };

describe('claiming a run', () => {
  it('gives a PENDING run to the first worker, RUNNING on its first attempt', async () => {
    const run = await db.insertRun();
    const claim = await store.claim(run.id, 'worker-a', LONG_LEASE);
    expect(claim.kind).toBe('claimed');
    expect(claim.kind === 'claimed' && claim.run).toMatchObject({ id: run.id, status: 'RUNNING', phase: 'INITIALIZING', attempt: 1, leaseOwner: 'worker-a' });
  });

  it('answers the claimed run with every property as the ORM loads it, with and without a tenant limit', async () => {
    const { ExecutionEntity } = await import('../src/store/entities.js');
    const limited = createRunStore({ em: () => db.orm.em.fork(), tenantLimit: 8 });
    for (const s of [store, limited]) {
      const run = await db.insertRun();
      const claim = await s.claim(run.id, 'worker-a', LONG_LEASE);
      if (claim.kind !== 'claimed') throw new Error(`not claimed: ${claim.kind}`);
      const loaded = await db.orm.em.fork().findOneOrFail(ExecutionEntity, { id: run.id }, { filters: false });
      expect({ ...claim.run }).toEqual({ ...loaded });
      expect(claim.run.startedAt).toBeInstanceOf(Date);
      expect(typeof claim.run.sequence).toBe('number');
    }
  });

  it('answers busy, until the lease ends, to a second claim of a live lease, and changes nothing', async () => {
    const run = await db.insertRun();
    await store.claim(run.id, 'worker-a', LONG_LEASE);
    const before = await rowOf(run.id);

    const second = await store.claim(run.id, 'worker-b', LONG_LEASE);
    expect(second.kind).toBe('busy');
    // Postgres keeps microseconds, a Date milliseconds.
    expect(second.kind === 'busy' && second.retryAt.getTime()).toBe(Math.floor(new Date(before.lease_expires_at!).getTime()));
    expect(await rowOf(run.id)).toEqual(before);
  });

  it('gives exactly one of many concurrent claimants the run', async () => {
    const run = await db.insertRun();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claim(run.id, `worker-${i}`, LONG_LEASE)));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'busy')).toHaveLength(7);
    expect((await rowOf(run.id)).attempt).toBe(1);
  });

  it('hands a run over once its lease expired, as attempt + 1, and the first owner can no longer move it', async () => {
    const run = await db.insertRun();
    await store.claim(run.id, 'worker-a', 300);
    await sleep(400);

    const takeover = await store.claim(run.id, 'worker-b', LONG_LEASE);
    expect(takeover.kind).toBe('claimed');
    expect(takeover.kind === 'claimed' && takeover.run).toMatchObject({ status: 'RUNNING', attempt: 2, leaseOwner: 'worker-b' });

    expect(await store.heartbeat(run.id, 'worker-a', LONG_LEASE)).toBe(false);
    expect(await store.transition(takeover.kind === 'claimed' ? takeover.run : run, 'worker-a', succeeded)).toBe(false);
    expect(await rowOf(run.id)).toMatchObject({ status: 'RUNNING', lease_owner: 'worker-b', attempt: 2 });
    expect(await store.transition(run, 'worker-b', succeeded)).toBe(true);
    expect(await rowOf(run.id)).toMatchObject({ status: 'SUCCEEDED', lease_owner: null, attempt: 2 });
  });

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const)('answers terminal for a %s run and leaves it alone', async (status) => {
    const run = await db.insertRun({ status, attempt: 1 });
    const before = await rowOf(run.id);
    expect(await store.claim(run.id, 'worker-a', LONG_LEASE)).toEqual({ kind: 'terminal' });
    expect(await rowOf(run.id)).toEqual(before);
  });

  it('answers missing for a run that does not exist', async () => {
    expect(await store.claim('0193a000-0000-7000-8000-0000000000ee', 'worker-a', LONG_LEASE)).toEqual({ kind: 'missing' });
  });
});

describe('moving a run', () => {
  it('refuses an illegal move (a finished run back to RUNNING) and writes no event for it', async () => {
    const run = await db.insertRun();
    await store.claim(run.id, 'worker-a', LONG_LEASE);
    expect(await store.transition(run, 'worker-a', succeeded)).toBe(true);
    const outbox = async () => (await db.sql<{ n: number }>('select count(*)::int as "n" from "executions"."outbox" where "key" = ?', [run.id]))[0]!.n;
    const events = await outbox();

    const back = await store.transition(run, null, { status: 'RUNNING', phase: 'READING', events: [{ case: 'statusChanged', value: { status: ExecutionStatus.RUNNING, phase: ExecutionPhase.READING } }] });
    expect(back).toBe(false);
    expect(await rowOf(run.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await outbox()).toBe(events);
  });

  it('numbers a run\'s events on from its sequence, in the same transaction as the move', async () => {
    const run = await db.insertRun({ sequence: 1 });
    await store.claim(run.id, 'worker-a', LONG_LEASE);
    await store.transition(run, 'worker-a', { status: 'RUNNING', phase: 'READING', events: [succeeded.events[0]!, succeeded.events[0]!] });
    await store.transition(run, 'worker-a', succeeded);
    const [row] = await db.sql<{ sequence: string }>('select "sequence" from "executions"."executions" where "id" = ?', [run.id]);
    expect(Number(row!.sequence)).toBe(4);
  });
});
