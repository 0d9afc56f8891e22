import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createMemoryBus, type BusMessage, type EventBus } from '@rowline/bus';
import { createInternalClient, createInternalTokens, createLogger } from '@rowline/kit';
import { decodeExecutionEvent } from '@rowline/proto';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedMessage } from '../src/events/messages.js';
import { createRunStore, type RunStore } from '../src/store/run-store.js';
import type { Execution } from '../src/store/entities.js';
import { artifactKey, createEngineWorker, type ArtifactRegistrar } from '../src/worker/engine-worker.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { until } from './support/until.js';
import { asXlsx } from './support/workbooks.js';

/**
 * The worker alone (real Postgres, real local storage, a real HTTP client for the files service) on runs that
 * fail for a reason that is not the workflow's own: the local disk refuses an artifact, the files service
 * cannot be reached, Postgres refuses the outcome's write, the engine's temporary directory cannot be made.
 * Each of these errors names what users must not read (a path, a host and port, a constraint): the run's
 * logs, its error and its `failed` event say what happened in their terms.
 */
let db: ExecutionsDatabase;
let dir: string;
let storage: Storage;
let store: RunStore;
let bus: EventBus;
/** The worker's own log (warnings and errors), where the errors users do not read are kept whole. */
const logged: string[] = [];
const logger = createLogger({ service: 'engine-worker', level: 'warn', destination: new Writable({ write(chunk, _enc, done) { logged.push(String(chunk)); done(); } }) });

beforeAll(async () => {
  db = await startExecutionsDatabase();
  dir = await mkdtemp(join(tmpdir(), 'rowline-dependency-faults-'));
  storage = createLocalStorage(join(dir, 'storage'));
  store = createRunStore({ em: () => db.orm.em.fork() });
  bus = createMemoryBus({ logger: quiet });
});
afterAll(async () => {
  await bus?.close();
  await db?.stop();
  await rm(dir, { recursive: true, force: true });
});

const SALES = `order_id,sku,qty\n${Array.from({ length: 20_000 }, (_, i) => `${i},S${i % 50},${(i % 9) + 1}`).join('\n')}\n`;
const COPY = [{ type: 'output', params: { artifacts: [{ name: 'copy.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } }];

/** A port nothing listens on: the files service as a worker finds it while it is away. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Artifact registration as the worker process makes it (engine-workers.ts): the files service's internal route. */
function filesAt(baseUrl: string): ArtifactRegistrar {
  const files = createInternalClient({ tokens: createInternalTokens('a'.repeat(64)), baseUrl, audience: 'files' });
  return (run, artifact) => files(
    { kind: 'service', tenantId: run.tenantId, subject: 'service:executions', role: 'MEMBER', scopes: [] },
    '/internal/artifacts?link=false', { method: 'POST', body: { executionId: run.id, ...artifact } },
  );
}

type Setup = {
  input?: Buffer | string; inputName?: string; inputSize?: number;
  storage?: (run: Execution) => Storage | Promise<Storage>;
  store?: RunStore;
  registerArtifact?: ArtifactRegistrar;
  /** The run's steps: COPY unless given. */
  steps?: Execution['steps'];
};

/** Runs COPY on `input` through one worker (3 attempts, 20 ms apart); answers the run as recorded, with its logs and last event. */
async function runWith(setup: Setup) {
  const tenantId = crypto.randomUUID();
  const inputKey = `${tenantId}/files/${crypto.randomUUID()}`;
  const input = Buffer.from(setup.input ?? SALES);
  await storage.put(inputKey, Readable.from([input]));
  const run = await db.insertRun({
    tenantId, inputFileName: setup.inputName ?? 'sales.csv', inputStorageKey: inputKey, inputSize: setup.inputSize ?? input.length, steps: setup.steps ?? COPY,
  });
  const worker = createEngineWorker({
    store: setup.store ?? store, storage: await setup.storage?.(run) ?? storage, bus, logger, workerId: 'worker-1', onOutbox: () => {},
    registerArtifact: setup.registerArtifact ?? (async (r) => ({ id: r.id })), maxAttempts: 3, retryBackoffMs: 20,
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
  const [last] = await db.sql<{ payload: Uint8Array }>('select "payload" from "executions"."outbox" where "key" = ? order by "id" desc limit 1', [run.id]);
  const { payload } = decodeExecutionEvent(last!.payload);
  const event = payload.case === 'failed' ? payload.value.message : null;
  return { run, row: row!, logs, event };
}

const attemptLogs = (logs: string[]) => logs.filter((l) => /^Attempt \d failed/.test(l));

/** What users read of the run: its logs, its error and its `failed` event. */
const textsOf = (r: Awaited<ReturnType<typeof runWith>>) => [...r.logs, ...(r.row.error ? [r.row.error.message] : []), ...(r.event === null ? [] : [r.event])];

function expectNoneOf(texts: string[], internal: RegExp) {
  for (const text of texts) expect(text).not.toMatch(internal);
}

/** Local storage whose first `times` writes of artifacts go through `failing` instead (reads and the input's write are the real ones). */
function artifactsThrough(failing: Storage, times: number) {
  let failed = 0;
  return {
    ...storage,
    put: (key, body, opts) => (key.includes('/artifacts/') && failed++ < times ? failing : storage).put(key, body, opts),
  } satisfies Storage;
}

describe('an artifact the local disk refuses', () => {
  it('is retried, and the run says which artifact could not be stored, not the path (the disk refuses its directory before a byte is written)', async () => {
    // A file where storage's root directory should be: every directory under it fails with ENOTDIR, naming the path.
    const blocked = join(dir, `blocked-${crypto.randomUUID()}`);
    await writeFile(blocked, '');
    const r = await runWith({ storage: () => artifactsThrough(createLocalStorage(blocked), 1) });
    expect(r.row).toMatchObject({ status: 'SUCCEEDED', attempt: 2, error: null });
    expect(attemptLogs(r.logs)).toEqual(['Attempt 1 failed: the artifact "copy.csv" could not be stored; retrying in 20 ms']);
    expectNoneOf(textsOf(r), /ENOTDIR|mkdir|\//);
    // Written whole by the second attempt, through the stream storage reads beside the engine's.
    const copy = Buffer.concat(await (await storage.get(artifactKey(r.run, 'copy.csv'))).toArray()).toString('utf8');
    expect(copy.trim().split(/\r?\n/)).toHaveLength(20_001);
  });

  it('is retried, not ended as the workflow\'s OUTPUT_FAILED with storage\'s message, when the disk fails while the engine still writes it', async () => {
    const blocked = join(dir, `blocked-${crypto.randomUUID()}`);
    await writeFile(blocked, '');
    // A write as local storage makes it, to a file the disk refuses to open (ENOTDIR, naming the path) while the engine writes.
    const refusing: Storage = { ...storage, put: async (key, body) => { await pipeline(body, createWriteStream(join(blocked, key))); throw new Error('unreachable'); } };
    const r = await runWith({ storage: () => artifactsThrough(refusing, 3) });
    expect(r.row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL', step: null } });
    expect(r.row.error!.message).toBe('The run failed 3 times: the artifact "copy.csv" could not be stored');
    expect(attemptLogs(r.logs)).toHaveLength(2);
    expectNoneOf(textsOf(r), /ENOTDIR|open|\//);
  });

  it('fails the run after its last attempt when the disk refuses the finished artifact, saying so in the same terms', async () => {
    // A directory, not empty, where the artifact goes: storage writes it whole, then its rename fails (ENOTEMPTY, both paths).
    const r = await runWith({
      storage: async (run) => {
        await mkdir(join(dir, 'storage', artifactKey(run, 'copy.csv'), 'in-the-way'), { recursive: true });
        return storage;
      },
    });
    expect(r.row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL', step: null } });
    expect(r.row.error!.message).toBe('The run failed 3 times: the artifact "copy.csv" could not be stored');
    expect(r.event).toBe(r.row.error!.message);
    expect(attemptLogs(r.logs)).toEqual([1, 2].map((n) => `Attempt ${n} failed: the artifact "copy.csv" could not be stored; retrying in ${20 * n} ms`));
    expectNoneOf(textsOf(r), /ENOTEMPTY|EISDIR|rename|partial|\//);
  });

  it('is not refused for a long name: an artifact named after a long input file is stored at once', async () => {
    // 214 characters, which the files service registers (up to 255); as a key's last part, local storage's temporary
    // name beside it passed the file system's 255 bytes, and every attempt failed (ENAMETOOLONG, naming the path).
    const inputName = `${'r'.repeat(205)}.csv`;
    const name = `${'r'.repeat(205)}-out.xlsx`;
    const r = await runWith({ inputName, steps: [{ type: 'output', params: { artifacts: [{ name: '{input}-out.xlsx', format: 'xlsx', sheets: [{ from: '*' }] }] } }] });
    expect(r.row).toMatchObject({ status: 'SUCCEEDED', attempt: 1, error: null });
    expect(attemptLogs(r.logs)).toEqual([]);
    const key = artifactKey(r.run, name);
    expect(key.split('/').pop()!.length).toBeLessThanOrEqual(200);
    expect(await storage.stat(key)).toMatchObject({ size: expect.any(Number) });
  });
});

describe('the files service away when the run registers its artifacts', () => {
  it('fails the run after its last attempt saying the files service did not register them, not its host and port', async () => {
    const port = await closedPort();
    const r = await runWith({ registerArtifact: filesAt(`http://127.0.0.1:${port}`) });
    expect(r.row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL' } });
    expect(r.row.error!.message).toBe('The run failed 3 times: the files service did not register the run\'s artifacts');
    expect(attemptLogs(r.logs)).toHaveLength(2);
    expectNoneOf(textsOf(r), new RegExp(`ECONNREFUSED|127\\.0\\.0\\.1|${port}`));
    // The worker's log has it all: the fault and, as its cause, the client's error.
    const lines = logged.filter((l) => l.includes(r.run.id) && l.includes('"level":"error"'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the files service did not register the run's artifacts: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});

describe('Postgres refusing the write of a run\'s outcome', () => {
  it('retries the run, which says an internal error occurred, not that the database was unavailable nor Postgres\'s own message', async () => {
    let refused = 0;
    // Postgres's own refusal (a unique violation naming its constraint and table), for the first outcome only.
    const refusing: RunStore = {
      ...store,
      async transition(run, owner, change) {
        if (change.status === 'SUCCEEDED' && refused++ === 0) {
          await db.sql('insert into "executions"."executions" ("id") select "id" from "executions"."executions" where "id" = ?', [run.id]);
        }
        return store.transition(run, owner, change);
      },
    };
    const r = await runWith({ store: refusing });
    expect(refused).toBe(2);
    expect(r.row).toMatchObject({ status: 'SUCCEEDED', attempt: 2, error: null });
    expect(attemptLogs(r.logs)).toEqual(['Attempt 1 failed: an internal error occurred; retrying in 20 ms']);
    expectNoneOf(textsOf(r), /duplicate|constraint|executions_pkey|violates|insert|unavailable/i);
  });

  it('retries the run, which says the database was unavailable, when Postgres ends the session writing the outcome', async () => {
    let terminated = 0;
    // The outcome's statement waits for a row lock the test holds, and its session is ended while it waits
    // (pg_terminate_backend, as an operator's restart or a failover would).
    const terminating: RunStore = {
      ...store,
      async transition(run, owner, change) {
        if (change.status !== 'SUCCEEDED' || terminated++ > 0) return store.transition(run, owner, change);
        let release!: () => void;
        const released = new Promise<void>((r) => { release = r; });
        let locked!: () => void;
        const holding = new Promise<void>((r) => { locked = r; });
        const holder = db.orm.em.fork().transactional(async (tx) => {
          await tx.execute('select 1 from "executions"."executions" where "id" = ? for update', [run.id]);
          locked();
          await released;
        });
        await holding;
        const writing = store.transition(run, owner, change);
        // It fails while the session is being looked for: awaited below, not an unhandled rejection meanwhile.
        writing.catch(() => {});
        try {
          await until('the outcome\'s write to wait for the lock, and its session to be ended', async () => {
            const [ended] = await db.sql<{ pid: number }>(`select pg_terminate_backend("pid"), "pid" from "pg_stat_activity"
              where "datname" = current_database() and "wait_event_type" = 'Lock' and "pid" <> pg_backend_pid()`);
            return ended;
          });
          return await writing;
        } finally {
          release();
          await holder;
        }
      },
    };
    const r = await runWith({ store: terminating });
    expect(terminated).toBe(2);
    expect(r.row).toMatchObject({ status: 'SUCCEEDED', attempt: 2, error: null });
    expect(attemptLogs(r.logs)).toEqual(['Attempt 1 failed: the database was unavailable; retrying in 20 ms']);
    expectNoneOf(textsOf(r), /terminat|administrator|connection|57P01/i);
  });
});

describe('a temporary file of the engine that the local disk refuses', () => {
  const before = process.env.TMPDIR;
  afterAll(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  });

  it('is retried as the worker\'s trouble, not ended as the workflow\'s error with the path of the directory', async () => {
    const xlsx = await asXlsx(SALES.slice(0, 2_000));
    // A file where the temporary directory should be: the engine cannot make its own (ENOTDIR, naming the path).
    const blocked = join(dir, `tmp-${crypto.randomUUID()}`);
    await writeFile(blocked, '');
    process.env.TMPDIR = blocked;
    // Past the engine's in-memory bound by the size the run kept: the engine spools the workbook to a temporary file.
    const r = await runWith({ input: xlsx, inputName: 'sales.xlsx', inputSize: 64 * 1024 * 1024 });
    expect(r.row).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL' } });
    expect(r.row.error!.message).toBe('The run failed 3 times: a temporary file of the run could not be written or read');
    expect(attemptLogs(r.logs)).toHaveLength(2);
    expectNoneOf(textsOf(r), /ENOTDIR|mkdtemp|rowline-engine|\//);
  });
});
