import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createMemoryBus, type BusMessage, type EventBus } from '@rowline/bus';
import { runWorkflow, XLSX_IN_MEMORY_BYTES } from '@rowline/engine';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedMessage } from '../src/events/messages.js';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import { artifactKey, createEngineWorker } from '../src/worker/engine-worker.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

/**
 * The worker alone (real Postgres and local storage) on a run given a lookup file: what it hands the engine
 * about that file. The engine's temporary directories go to a directory of this file's own (TMPDIR), where
 * the test sees when the engine spools a workbook to disk.
 */
let db: ExecutionsDatabase;
let dir: string;
let temp: string;
let storage: Storage;
let store: RunStore;
let bus: EventBus;
const before = process.env.TMPDIR;

beforeAll(async () => {
  db = await startExecutionsDatabase();
  dir = await mkdtemp(join(tmpdir(), 'rowline-worker-files-'));
  temp = await mkdtemp(join(tmpdir(), 'rowline-worker-files-tmp-'));
  process.env.TMPDIR = temp;
  storage = createLocalStorage(dir);
  store = createRunStore({ em: () => db.orm.em.fork() });
  bus = createMemoryBus({ logger: quiet });
});
afterAll(async () => {
  if (before === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = before;
  await bus?.close();
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(temp, { recursive: true, force: true });
});

/** A price list as an xlsx larger than the engine holds in memory: a sheet of skus with incompressible notes. */
async function largePriceList(): Promise<Buffer> {
  const rows = Array.from({ length: 7_000 }, (_, i) => `S${i},${i % 100},${randomBytes(1_400).toString('base64')}`);
  const parts: Buffer[] = [];
  await runWorkflow({
    steps: [{ type: 'output', params: { artifacts: [{ name: 'prices.xlsx', format: 'xlsx', sheets: [{ from: 'prices' }] }] } }],
    input: { fileName: 'prices.csv', open: () => Readable.from([`sku,price,note\n${rows.join('\n')}\n`]) },
    openArtifact: async () => {
      const body = new PassThrough();
      body.on('data', (c: Buffer) => parts.push(c));
      return body;
    },
  });
  return Buffer.concat(parts);
}

/**
 * Local storage whose reads of `key` say how many of its bytes had been handed out when the engine first had a
 * temporary directory for a workbook (`rowline-engine-*`, made when it spools one to disk).
 */
function watching(inner: Storage, key: string) {
  const seen = { delivered: 0, beforeSpool: undefined as number | undefined };
  const spooling = async () => (await readdir(temp)).some((n) => n.startsWith('rowline-engine-'));
  const watched: Storage = {
    put: inner.put.bind(inner), stat: inner.stat.bind(inner), delete: inner.delete.bind(inner),
    async get(k) {
      const source = await inner.get(k);
      if (k !== key) return source;
      return Readable.from((async function* () {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          if (seen.beforeSpool === undefined && await spooling()) seen.beforeSpool = seen.delivered;
          seen.delivered += chunk.length;
          yield chunk;
        }
      })(), { objectMode: false });
    },
  };
  return { storage: watched, seen };
}

describe('a run given an xlsx lookup file larger than the engine holds in memory', () => {
  it('has the engine spool it at once, knowing its size from the run, rather than buffer it up to the bound first', async () => {
    const xlsx = await largePriceList();
    expect(xlsx.length).toBeGreaterThan(XLSX_IN_MEMORY_BYTES);
    const tenantId = crypto.randomUUID();
    const [inputKey, pricesKey] = [`${tenantId}/files/sales`, `${tenantId}/files/prices`];
    await storage.put(inputKey, Readable.from([Buffer.from('order_id,sku,qty\n1,S7,2\n2,S42,3\n3,Z-9,1\n')]));
    await storage.put(pricesKey, Readable.from([xlsx]));
    const steps = [
      { type: 'lookup', params: { from: { file: 'prices', sheet: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } },
      { type: 'output', params: { artifacts: [{ name: 'priced.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } },
    ];
    // As startExecution keeps it: the files service's size of the file with the run.
    const run = await db.insertRun({
      tenantId, inputFileName: 'sales.csv', inputStorageKey: inputKey, inputSize: 40, steps,
      files: [{ key: 'prices', fileId: crypto.randomUUID(), name: 'prices.xlsx', storageKey: pricesKey, size: xlsx.length }],
    });
    const { storage: watched, seen } = watching(storage, pricesKey);
    const worker = createEngineWorker({
      store, storage: watched, bus, logger: quiet, workerId: 'worker-1', onOutbox: () => {},
      registerArtifact: async (r) => ({ id: r.id }),
    });
    const m = requestedMessage(run);
    const message: BusMessage = { topic: m.topic, partition: 0, offset: '0', key: m.key, value: Buffer.from(m.payload), headers: m.headers ?? {}, timestamp: Date.now() };
    try {
      await worker.handle(message);
    } finally {
      worker.stop();
    }

    const [row] = await db.sql<{ status: string; error: unknown }>('select "status", "error" from "executions"."executions" where "id" = ?', [run.id]);
    expect(row).toMatchObject({ status: 'SUCCEEDED', error: null });
    const priced = Buffer.concat(await (await storage.get(artifactKey(run, 'priced.csv'))).toArray()).toString('utf8');
    expect(priced.trim().split(/\r?\n/)).toEqual(['order_id,sku,qty,price', '1,S7,2,7', '2,S42,3,42', '3,Z-9,1,']);
    // The engine read the workbook's head (to tell an xlsx by its bytes), then spooled the rest: it did not fill
    // memory up to XLSX_IN_MEMORY_BYTES first, as it must for a workbook of unknown size.
    expect(seen.delivered).toBe(xlsx.length);
    expect(seen.beforeSpool).toBeDefined();
    expect(seen.beforeSpool!).toBeLessThan(XLSX_IN_MEMORY_BYTES / 4);
  });
});
