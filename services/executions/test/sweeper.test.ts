import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExecutionEvent, ExecutionStatus } from '@rowline/proto';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { createSweeper } from '../src/worker/sweeper.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

let db: ExecutionsDatabase;
let store: RunStore;
let sweeper: ReturnType<typeof createSweeper>;
beforeAll(async () => {
  db = await startExecutionsDatabase();
  store = createRunStore({ em: () => db.orm.em.fork() });
  sweeper = createSweeper({ store, logger: quiet, maxAttempts: 3, intervalMs: 60_000, onOutbox: () => {} });
});
afterAll(async () => { await db?.stop(); });

const rowOf = async (id: string) => (await db.sql<{ status: string; attempt: number; lease_owner: string | null; error: { code: string } | null }>(
  'select "status", "attempt", "lease_owner", "error" from "executions"."executions" where "id" = ?', [id]))[0]!;
const outboxTypes = async (id: string) => (await db.sql<{ type: string }>(
  `select "headers"->>'event-type' as "type" from "executions"."outbox" where "key" = ? order by "id"`, [id])).map((r) => r.type);
/** The code and ending status of a run's last event, as subscribers' gateways read it. */
async function lastFailed(id: string) {
  const [row] = await db.sql<{ payload: Uint8Array }>(`select "payload" from "executions"."outbox" where "key" = ? order by "id" desc limit 1`, [id]);
  const { payload } = decodeExecutionEvent(row!.payload);
  return payload.case === 'failed' ? { code: payload.value.code, status: ExecutionStatus[payload.value.status] } : payload.case;
}

/** A run a worker took `attempt` times, its lease ending `leaseSeconds` from now (negative: expired). */
async function running(attempt: number, leaseSeconds: number, startedSecondsAgo = 1) {
  const run = await db.insertRun({ status: 'RUNNING', attempt, leaseOwner: 'worker-a' });
  await db.sql(`update "executions"."executions" set "lease_expires_at" = now() + (? * interval '1 second'),
    "started_at" = now() - (? * interval '1 second') where "id" = ?`, [leaseSeconds, startedSecondsAgo, run.id]);
  return run;
}

describe('the sweeper', () => {
  it('re-queues a RUNNING run whose lease expired, and requests it again through the outbox', async () => {
    const run = await running(1, -1);
    await sweeper.sweep();
    expect(await rowOf(run.id)).toMatchObject({ status: 'QUEUED', lease_owner: null, attempt: 1 });
    expect(await outboxTypes(run.id)).toEqual(['statusChanged', 'ExecutionRequested']);
  });

  it('leaves a run with a live lease alone', async () => {
    const run = await running(1, 60);
    await sweeper.sweep();
    expect(await rowOf(run.id)).toMatchObject({ status: 'RUNNING', lease_owner: 'worker-a' });
    expect(await outboxTypes(run.id)).toEqual([]);
  });

  it('ends FAILED (WORKER_LOST) a run that lost its worker on its last attempt', async () => {
    const run = await running(3, -1);
    await sweeper.sweep();
    expect(await rowOf(run.id)).toMatchObject({ status: 'FAILED', error: { code: 'WORKER_LOST' } });
    expect(await outboxTypes(run.id)).toEqual(['statusChanged', 'failed']);
    expect(await lastFailed(run.id)).toEqual({ code: 'WORKER_LOST', status: 'FAILED' });
  });

  it('ends TIMED_OUT a run past its deadline, even one whose worker is alive', async () => {
    const run = await running(1, 60, 2_000);
    await sweeper.sweep();
    expect(await rowOf(run.id)).toMatchObject({ status: 'TIMED_OUT', lease_owner: null, error: { code: 'TIMED_OUT' } });
    expect(await outboxTypes(run.id)).toEqual(['statusChanged', 'failed']);
    expect(await lastFailed(run.id)).toEqual({ code: 'TIMED_OUT', status: 'TIMED_OUT' });
  });

  it('moves nothing twice: a second sweep finds nothing to do', async () => {
    await sweeper.sweep();
    expect(await sweeper.sweep()).toEqual({ timedOut: 0, requeued: 0, lost: 0 });
  });
});

describe('the sweeper, for a run whose request was missed', () => {
  it('requests a run still PENDING a minute after it was accepted again, and leaves a fresh one alone', async () => {
    const stale = await db.insertRun();
    await db.sql(`update "executions"."executions" set "created_at" = now() - interval '61 seconds' where "id" = ?`, [stale.id]);
    const fresh = await db.insertRun();
    await sweeper.sweep();
    expect(await outboxTypes(stale.id)).toEqual(['ExecutionRequested']);
    expect(await outboxTypes(fresh.id)).toEqual([]);
    expect(await rowOf(stale.id)).toMatchObject({ status: 'PENDING' });
  });
});
