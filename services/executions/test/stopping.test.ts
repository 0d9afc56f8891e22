import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createMemoryBus, type BusMessage, type EventBus } from '@rowline/bus';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExecutionEvent, ExecutionStatus } from '@rowline/proto';
import { endedEvents, requestedMessage } from '../src/events/messages.js';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { artifactKey, createEngineWorker } from '../src/worker/engine-worker.js';
import type { Execution } from '../src/store/entities.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { until } from './support/until.js';

const STEPS = [
  { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 10 } } },
  { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } },
];
const INPUT = `region,amount\n${Array.from({ length: 60_000 }, (_, i) => `r${i % 7},${i % 100}`).join('\n')}\n`;

let db: ExecutionsDatabase;
let dir: string;
let storage: Storage;
let store: RunStore;
let bus: EventBus;
/**
 * Bytes of each input handed to the engine so far, by storage key: the input trickles out over several
 * seconds. Per key, because a stopped run's stream may still hand out a last chunk during the next test.
 */
const deliveredOf = new Map<string, number>();
let current = '';
const delivered = () => deliveredOf.get(current) ?? 0;
const registered: string[] = [];

/** The real local storage, whose reads of the input are slowed to 4 KiB every 20 ms (about 2 s in all), so a run is surely mid-way when stopped. */
function trickling(inner: Storage): Storage {
  return {
    ...inner,
    put: inner.put.bind(inner),
    stat: inner.stat.bind(inner),
    delete: inner.delete.bind(inner),
    async get(key) {
      const bytes = Buffer.concat(await (await inner.get(key)).toArray());
      return Readable.from((async function* () {
        for (let i = 0; i < bytes.length; i += 4096) {
          await new Promise((r) => setTimeout(r, 20));
          deliveredOf.set(key, (deliveredOf.get(key) ?? 0) + Math.min(4096, bytes.length - i));
          yield bytes.subarray(i, i + 4096);
        }
      })());
    },
  };
}

beforeAll(async () => {
  db = await startExecutionsDatabase();
  dir = await mkdtemp(join(tmpdir(), 'rowline-stopping-'));
  storage = createLocalStorage(dir);
  store = createRunStore({ em: () => db.orm.em.fork() });
  bus = createMemoryBus({ logger: quiet });
});
afterAll(async () => {
  await bus?.close();
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

function worker(opts: { store?: RunStore; slow?: boolean; progressIntervalMs?: number } = {}) {
  return createEngineWorker({
    store: opts.store ?? store, storage: opts.slow === false ? storage : trickling(storage), bus, logger: quiet, workerId: 'worker-1',
    cancelPollMs: 100, onOutbox: () => {}, progressIntervalMs: opts.progressIntervalMs,
    registerArtifact: async (run, a) => { registered.push(`${run.id}/${a.name}`); return { id: run.id }; },
  });
}

async function slowRun(fields: Partial<Execution> = {}) {
  const tenantId = crypto.randomUUID();
  const key = `${tenantId}/files/sales`;
  await storage.put(key, Readable.from([Buffer.from(INPUT)]));
  const run = await db.insertRun({ tenantId, inputFileName: 'sales.csv', inputStorageKey: key, steps: STEPS, ...fields });
  const m = requestedMessage(run);
  const message: BusMessage = { topic: m.topic, partition: 0, offset: '0', key: m.key, value: Buffer.from(m.payload), headers: m.headers ?? {}, timestamp: Date.now() };
  current = key;
  return { run, message };
}

/**
 * The real store, whose first RUNNING move fails as a dropped connection: before its commit (nothing written),
 * or after it (written, but the worker never heard, so its sequence stays as it was). `calls`: RUNNING moves asked.
 */
function failingFirstRunningMove(when: 'before the commit' | 'after the commit') {
  let calls = 0;
  const failing: RunStore = {
    ...store,
    async transition(r, owner, change) {
      if (change.status !== 'RUNNING' || calls++ > 0) return store.transition(r, owner, change);
      if (when === 'after the commit') {
        const known = r.sequence;
        await store.transition(r, owner, change);
        r.sequence = known;
      }
      throw new Error('Connection terminated unexpectedly');
    },
  };
  return { store: failing, calls: () => calls };
}

const rowOf = async (id: string) => (await db.sql<{ status: string; error: { code: string } | null; lease_owner: string | null }>(
  'select "status", "error", "lease_owner" from "executions"."executions" where "id" = ?', [id]))[0]!;
const outboxTypes = async (id: string) => (await db.sql<{ type: string }>(
  `select "headers"->>'event-type' as "type" from "executions"."outbox" where "key" = ? order by "id"`, [id])).map((r) => r.type);
/** The run's status events as written: status and phase (from the payload), and the transaction's time. */
const statusRows = async (id: string) => (await db.sql<{ payload: Buffer; at: string }>(
  `select "payload", "created_at"::text as "at" from "executions"."outbox" where "key" = ? and "headers"->>'event-type' = 'statusChanged' order by "id"`, [id]))
  .map((r) => {
    const e = decodeExecutionEvent(r.payload);
    const v = e.payload.case === 'statusChanged' ? e.payload.value : undefined;
    return { status: ExecutionStatus[v!.status], sequence: Number(e.sequence), at: r.at };
  });

describe('a running worker', () => {
  it('stops a run cancelled mid-way, before reading all of its input, and records nothing over the cancellation', async () => {
    const { run, message } = await slowRun();
    const handling = worker().handle(message);
    // A run reports its start one progress interval in: a run this slow has done so while still reading.
    await until('the run to be reading', async () => ((await rowOf(run.id)).status === 'RUNNING' && delivered() > 0 && (await outboxTypes(run.id)).length ? true : undefined));

    // What cancelExecution does.
    const error = { code: 'CANCELLED', message: 'Cancelled by test', step: null };
    expect(await store.transition(run, null, { status: 'CANCELLED', phase: null, error, events: endedEvents('CANCELLED', error) })).toBe(true);
    await handling;

    expect(delivered()).toBeLessThan(INPUT.length);
    expect(await rowOf(run.id)).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' }, lease_owner: null });
    expect(registered.filter((r) => r.startsWith(run.id))).toEqual([]);
    expect(await storage.stat(artifactKey(run, 'out.csv'))).toBeNull();
    // One terminal status event: the cancellation's; the worker wrote none of its own.
    expect(await outboxTypes(run.id)).toEqual(['statusChanged', 'statusChanged', 'failed']);
  });

  it('reports a csv\'s progress in percent while it reads, when the run knows the input\'s size', async () => {
    const { run, message } = await slowRun({ inputSize: INPUT.length });
    const handling = worker({ progressIntervalMs: 100 }).handle(message);
    const percents: number[] = [];
    await until('a percentage short of the end', async () => {
      const [row] = await db.sql<{ progress_percent: number | null }>('select "progress_percent" from "executions"."executions" where "id" = ?', [run.id]);
      if (row?.progress_percent != null) percents.push(row.progress_percent);
      return percents.some((p) => p > 0 && p < 100) ? true : undefined;
    });
    await handling;
    expect(await rowOf(run.id)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('ends a run that outlives its timeout TIMED_OUT, stopping it mid-way', async () => {
    const { run, message } = await slowRun({ timeoutMs: 700 });
    await worker().handle(message);

    expect(delivered()).toBeLessThan(INPUT.length);
    expect(await rowOf(run.id)).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' }, lease_owner: null });
    expect(registered.filter((r) => r.startsWith(run.id))).toEqual([]);
    expect((await outboxTypes(run.id)).slice(-2)).toEqual(['statusChanged', 'failed']);
  });

  it('writes the RUNNING event of a run that ends within its progress interval with the outcome, in one statement', async () => {
    const { run, message } = await slowRun();
    await worker({ slow: false, progressIntervalMs: 60_000 }).handle(message);
    const rows = await statusRows(run.id);
    expect(rows.map((r) => r.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(rows[0]!.at).toBe(rows[1]!.at);
  });

  it('writes RUNNING once when the answer to its write was lost after the commit', async () => {
    const { run, message } = await slowRun();
    // The RUNNING move commits, then its connection drops before the answer: the worker cannot tell.
    const losing = failingFirstRunningMove('after the commit');
    await worker({ store: losing.store, progressIntervalMs: 100 }).handle(message);
    expect(losing.calls()).toBe(1);
    expect(await rowOf(run.id)).toMatchObject({ status: 'SUCCEEDED' });
    const rows = await statusRows(run.id);
    expect(rows.map((r) => r.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    // One event per sequence number, none skipped: the run was written at 1, the worker's events follow.
    const events = await db.sql<{ payload: Buffer }>(`select "payload" from "executions"."outbox" where "key" = ? order by "id"`, [run.id]);
    const sequences = events.map((e) => Number(decodeExecutionEvent(e.payload).sequence));
    expect(sequences).toEqual(sequences.map((_, i) => i + 2));
  });

  it('tries the RUNNING write again one interval later when Postgres refused it, while the run goes on', async () => {
    const { run, message } = await slowRun();
    const flaky = failingFirstRunningMove('before the commit');
    const handling = worker({ store: flaky.store, progressIntervalMs: 100 }).handle(message);
    await until('the RUNNING event to be written', async () => ((await statusRows(run.id)).length ? true : undefined));
    // Written by the second try, while the run was still reading.
    expect(delivered()).toBeLessThan(INPUT.length);
    expect(flaky.calls()).toBe(2);
    expect((await statusRows(run.id)).map((r) => r.status)).toEqual(['RUNNING']);
    await handling;
    expect((await statusRows(run.id)).map((r) => r.status)).toEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('runs the same slow input to SUCCEEDED when nothing stops it', async () => {
    const { run, message } = await slowRun();
    const handling = worker().handle(message);
    // Its start was reported while it ran (one progress interval in), not with its outcome.
    await until('the RUNNING event to be written', async () => ((await outboxTypes(run.id)).length ? true : undefined));
    expect(delivered()).toBeLessThan(INPUT.length);
    expect(await outboxTypes(run.id)).toEqual(['statusChanged']);
    await handling;
    expect(delivered()).toBe(INPUT.length);
    expect(await rowOf(run.id)).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(registered).toContain(`${run.id}/out.csv`);
  });
});
