/**
 * npm run bench -- gateway [REQUESTS] [ROUNDS]: requests/s of one small query through
 *   bare     a bare @apollo/gateway (standalone server) on the same supergraph and subgraphs,
 *   off      our gateway (JWT verification, per-subgraph internal tokens, express) with LIMITS=off,
 *   on       our gateway with every limit on (the cost budget large enough never to refuse, still charged),
 * side by side in one run. The subgraphs (real, on PostgreSQL) run in this process, each gateway in its own
 * process, the load generator (query-load.mjs) in another. Rounds interleave the three so that noise from other
 * work on the machine falls on all of them; the median round counts. Bounded: REQUESTS per round and
 * gateway (default 2000), ROUNDS (default 3), 16 in flight.
 * PostgreSQL: DATABASE_URL's server if set (a fresh database is created and dropped), else embedded.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphqlClient } from '@rowline/embedded';
import { freePort, startBenchPlatform } from './bench-platform.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const [requests = 2000, rounds = 3] = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
const CONCURRENCY = 16;
const QUERY = process.env.BENCH_QUERY ?? '{ me { role } }';
const children = [];
const cleanups = [];

function run(script, args, env = {}) {
  const child = spawn(process.execPath, [script, ...args], { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
  return { child, done: new Promise((res, rej) => child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${script} exited ${code}`))))) };
}

/** CPU seconds (user + system) a process has used, from /proc: robust where req/s suffers from a busy machine. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(url)).status < 500) return; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function main() {
  const { platform, secret } = await startBenchPlatform('gateway-bench', cleanups);
  const signUp = await graphqlClient(platform.graphqlUrl).request(
    'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } tenant { id } } }',
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Bench', tenantName: 'Bench' } });
  const { accessToken, user, tenant } = signUp.data.signUp;

  const urls = { AUTH_URL: platform.urls.auth, WORKFLOWS_URL: platform.urls.workflows, EXECUTIONS_URL: platform.urls.executions, FILES_URL: platform.urls.files, DELIVERY_URL: platform.urls.delivery };
  const common = { ...urls, INTERNAL_TOKEN_SECRET: secret, SUPERGRAPH_PATH: join(repo, 'gateway/supergraph.graphql'), HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn' };
  const gateways = {};
  const pids = {};
  for (const [name, script, env] of [
    ['bare', join(here, 'bare-gateway.mjs'), { PRINCIPAL: JSON.stringify({ kind: 'user', tenantId: tenant.id, subject: user.id, role: 'OWNER', scopes: [] }) }],
    ['off', join(repo, 'gateway/dist/main.js'), { LIMITS: 'off' }],
    ['on', join(repo, 'gateway/dist/main.js'), { LIMITS: 'on', COST_BUDGET_PER_MINUTE: '1000000000' }],
  ]) {
    const port = await freePort();
    const { child, done } = run(script, [], { ...common, ...env, PORT: String(port) });
    done.catch(() => {}); // stopped by SIGTERM at the end
    children.push(child);
    gateways[name] = `http://127.0.0.1:${port}/graphql`;
    pids[name] = child.pid;
    await waitHealthy(name === 'bare' ? `${gateways[name]}?query=%7B__typename%7D` : `http://127.0.0.1:${port}/healthz`);
  }

  const load = async (name, n) => {
    const r = JSON.parse(await run(join(here, 'query-load.mjs'), [gateways[name], `Bearer ${accessToken}`, QUERY, String(CONCURRENCY), '600', String(n)]).done);
    return { requests: r.requests, failures: r.failed, rps: r.perSecond };
  };
  for (const name of Object.keys(gateways)) {
    const warm = await load(name, 300);
    if (warm.failures) throw new Error(`${name}: ${warm.failures} of the warm-up requests failed`);
  }
  const results = { bare: [], off: [], on: [] };
  const cpu = { bare: [], off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(results)) {
      const before = cpuSeconds(pids[name]);
      const r = await load(name, requests);
      if (r.failures) throw new Error(`${name}: ${r.failures} of ${r.requests} requests failed`);
      results[name].push(r.rps);
      cpu[name].push(((cpuSeconds(pids[name]) - before) * 1000) / requests);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const c = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
  console.log(`\ngateway benchmark: ${QUERY}, ${requests} requests x ${rounds} rounds, ${CONCURRENCY} in flight, median round`);
  for (const [name, label] of [['bare', 'bare @apollo/gateway'], ['off', 'ours, limits off'], ['on', 'ours, limits on']]) {
    console.log(`  ${label.padEnd(22)} ${m[name].toFixed(0).padStart(6)} req/s   ${c[name].toFixed(3)} gateway CPU ms/req   (rounds: ${results[name].map((x) => x.toFixed(0)).join(', ')} req/s)`);
  }
  console.log(`  gateway CPU per request: limits on / off ${(c.on / c.off).toFixed(2)}x, ours with limits / bare ${(c.on / c.bare).toFixed(2)}x`);
  const cost = 1 - m.on / m.off;
  console.log(`  limits cost: ${(cost * 100).toFixed(1)}% (bar < 10%)   ours with limits / bare: ${(m.on / m.bare).toFixed(2)}x (bar >= 0.9x)   ours without limits / bare: ${(m.off / m.bare).toFixed(2)}x`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  for (const c of cleanups.reverse()) await c().catch((err) => console.error('cleanup:', err.message));
}
