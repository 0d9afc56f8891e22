import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createMemoryBus, type BusMessage, type EventBus } from '@rowline/bus';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedMessage } from '../src/events/messages.js';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { createEngineWorker } from '../src/worker/engine-worker.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { asXlsx } from './support/workbooks.js';

/**
 * The worker alone (real Postgres, real local storage) on runs whose file's stream fails partway through the
 * read, after storage opened it: an S3 connection reset mid-body, a disk read error. The fault is injected by
 * a Storage around the local one whose `get` gives the real file stream, destroyed with an error once it has
 * given `after` bytes, for as many reads as the test says.
 */
let db: ExecutionsDatabase;
let dir: string;
let storage: Storage;
let store: RunStore;
let bus: EventBus;

beforeAll(async () => {
  db = await startExecutionsDatabase();
  dir = await mkdtemp(join(tmpdir(), 'rowline-read-faults-'));
  storage = createLocalStorage(dir);
  store = createRunStore({ em: () => db.orm.em.fork() });
  bus = createMemoryBus({ logger: quiet });
});
afterAll(async () => {
  await bus?.close();
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What storage's own error says: where it keeps the file. It must reach no user. */
const RAW = (key: string) => `read ECONNRESET while reading s3://rowline-prod-bucket/${key}`;

/** Local storage whose first `times` reads of `key` break after `after` bytes with an error naming the storage key. */
function breaking(inner: Storage, key: string, after: number, times: number) {
  const state = { reads: 0, broken: 0 };
  const faulty: Storage = {
    put: inner.put.bind(inner), stat: inner.stat.bind(inner), delete: inner.delete.bind(inner),
    async get(k) {
      const source = await inner.get(k);
      if (k !== key) return source;
      state.reads++;
      if (state.broken >= times) return source;
      state.broken++;
      let given = 0;
      const out = new PassThrough();
      source.on('data', (chunk: Buffer) => {
        if (given + chunk.length <= after) {
          given += chunk.length;
          if (!out.write(chunk)) source.pause();
          return;
        }
        out.write(chunk.subarray(0, after - given));
        given = after;
        source.destroy();
        out.destroy(new Error(RAW(k)));
      });
      out.on('drain', () => source.resume());
      source.on('end', () => out.end());
      return out;
    },
  };
  return { storage: faulty, state };
}

const ROWS = 20_000;
const SALES = `order_id,sku,qty\n${Array.from({ length: ROWS }, (_, i) => `${i},S${i % 50},${(i % 9) + 1}`).join('\n')}\n`;
const PRICES = `sku,price\n${Array.from({ length: ROWS }, (_, i) => `S${i},${i % 100}`).join('\n')}\n`;
const LOOKUP = [
  { type: 'lookup', params: { from: { file: 'prices', sheet: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } },
  { type: 'output', params: { artifacts: [{ name: 'priced.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } },
];

/** Runs `input` (by name) with a price list through one worker on `faulty` storage; answers the run as recorded, with its logs. */
async function runWith(opts: { inputName: string; input: Buffer | string; breaks: 'input' | 'prices'; after: number; times: number }) {
  const tenantId = crypto.randomUUID();
  const [inputKey, pricesKey] = [`${tenantId}/files/${crypto.randomUUID()}`, `${tenantId}/files/${crypto.randomUUID()}`];
  await storage.put(inputKey, Readable.from([Buffer.from(opts.input)]));
  await storage.put(pricesKey, Readable.from([Buffer.from(PRICES)]));
  const pricesFileId = crypto.randomUUID();
  const run = await db.insertRun({
    tenantId, inputFileName: opts.inputName, inputStorageKey: inputKey, inputSize: Buffer.byteLength(opts.input), steps: LOOKUP,
    files: [{ key: 'prices', fileId: pricesFileId, name: 'prices.csv', storageKey: pricesKey, size: Buffer.byteLength(PRICES) }],
  });
  const broken = opts.breaks === 'input' ? inputKey : pricesKey;
  const { storage: faulty, state } = breaking(storage, broken, opts.after, opts.times);
  const worker = createEngineWorker({
    store, storage: faulty, bus, logger: quiet, workerId: 'worker-1', onOutbox: () => {},
    registerArtifact: async (r) => ({ id: r.id }), maxAttempts: 3, retryBackoffMs: 20,
  });
  const m = requestedMessage(run);
  const message: BusMessage = { topic: m.topic, partition: 0, offset: '0', key: m.key, value: Buffer.from(m.payload), headers: m.headers ?? {}, timestamp: Date.now() };
  try {
    await worker.handle(message);
  } finally {
    worker.stop();
  }
  const [row] = await db.sql<{ status: string; attempt: number; error: { code: string; message: string; step: number | null } | null }>(
    'select "status", "attempt", "error" from "executions"."executions" where "id" = ?', [run.id]);
  const logs = (await db.sql<{ message: string }>('select "message" from "executions"."execution_logs" where "execution_id" = ? order by "at", "id"', [run.id])).map((l) => l.message);
  return { run, row: row!, logs, reads: state.reads, broken, pricesFileId };
}

const attemptLogs = (logs: string[]) => logs.filter((l) => /^Attempt \d failed/.test(l));

/** Neither the storage key nor storage's own message reaches the run's error or logs, which users read. */
function expectNothingOfStorage(texts: string[], key: string) {
  for (const text of texts) {
    expect(text).not.toContain(key);
    expect(text).not.toMatch(/ECONNRESET|rowline-prod-bucket|s3:\/\//);
  }
}

describe('a file whose storage stream fails partway through the read', () => {
  it('retries the run (a csv input broken mid-parse), which succeeds once storage gives the whole file', async () => {
    const { run, row, logs, reads, broken } = await runWith({ inputName: 'sales.csv', input: SALES, breaks: 'input', after: 200_000, times: 1 });
    expect(Buffer.byteLength(SALES)).toBeGreaterThan(200_000);
    expect(row).toMatchObject({ status: 'SUCCEEDED', attempt: 2, error: null });
    expect(reads).toBe(2);
    const [retry] = attemptLogs(logs);
    expect(retry).toBe(`Attempt 1 failed: cannot read sales.csv: the input (${run.inputFileId}) could not be read from storage; retrying in 20 ms`);
    expectNothingOfStorage(logs, broken);
  });

  it('retries an xlsx input broken while it is read into memory, up to the last attempt, then fails naming the input by name and id', async () => {
    const xlsx = await asXlsx(SALES);
    expect(xlsx.length).toBeGreaterThan(100_000);
    const { run, row, logs, reads, broken } = await runWith({ inputName: 'sales.xlsx', input: xlsx, breaks: 'input', after: 100_000, times: 99 });
    expect(row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL', step: null } });
    expect(reads).toBe(3);
    expect(row.error!.message).toBe(`The run failed 3 times: cannot read sales.xlsx: the input (${run.inputFileId}) could not be read from storage`);
    expect(attemptLogs(logs)).toHaveLength(2);
    expectNothingOfStorage([row.error!.message, ...logs], broken);
  });

  it('retries a lookup file broken while its table is read, then fails naming it by key and id, not as the input', async () => {
    expect(Buffer.byteLength(PRICES)).toBeGreaterThan(100_000);
    const { row, logs, reads, broken, pricesFileId } = await runWith({ inputName: 'sales.csv', input: SALES, breaks: 'prices', after: 100_000, times: 99 });
    expect(row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL' } });
    expect(reads).toBe(3);
    expect(row.error!.message).toBe(`The run failed 3 times: cannot read prices.csv: the run's file "prices" (${pricesFileId}) could not be read from storage`);
    expect(attemptLogs(logs)).toHaveLength(2);
    expectNothingOfStorage([row.error!.message, ...logs], broken);
  });

  it('still fails at once, without a retry, a file that is unreadable in itself (an xlsx cut short)', async () => {
    const xlsx = (await asXlsx(SALES)).subarray(0, 30_000);
    const { row, logs } = await runWith({ inputName: 'sales.xlsx', input: xlsx, breaks: 'prices', after: 1e9, times: 0 });
    expect(row).toMatchObject({ status: 'FAILED', attempt: 1 });
    expect(['CORRUPT_FILE', 'UNSUPPORTED_FILE']).toContain(row.error!.code);
    expect(attemptLogs(logs)).toEqual([]);
  });
});
