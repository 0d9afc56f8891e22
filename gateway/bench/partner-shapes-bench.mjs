/**
 * npm run bench -- partner-shapes [--requests N]: what one partner request of a hostile shape costs the gateway.
 * Deep, alias-heavy and wide queries that each stay within the key's cost budget (1000 points) are sent to
 * `/partner/graphql` of a gateway in its own process (gateway/dist/main.js, production settings), over real
 * subgraphs on PostgreSQL (in this process), with an API key of all read scopes. Each request is a new
 * document (a comment differs), as an attacker would send them: Apollo's document and plan caches never hit.
 * Per shape: HTTP status, the error code if refused, cost points, the gateway's CPU ms per request (from
 * /proc), wall time, answer bytes, and the query planner's time for the same operation (measured here, on the
 * same partner supergraph). Bounded: N requests per shape (default 5), sequential.
 * PostgreSQL: DATABASE_URL's server (a fresh database is created and dropped), else embedded.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parse } from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { demoWorkbook, graphqlClient } from '@rowline/embedded';
import { freePort, startBenchPlatform } from './bench-platform.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg('requests', 5);
const BODY_LIMIT = 256 * 1024;
const cleanups = [];
let gatewayProcess;

const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** As many copies of `unit(i)` as fit in the body limit (with room for the rest of the document). */
const fill = (unit, room = BODY_LIMIT - 2000) => {
  const parts = [];
  for (let i = 0, size = 0; ; i++) {
    const u = unit(i);
    if (size + u.length + 1 > room) return parts.join(' ');
    parts.push(u);
    size += u.length + 1;
  }
};

/** The shapes: each within the cost budget of 1000 points per minute (the cost is printed to prove it). */
function shapes({ workflowId, versionId, executionId }) {
  const deep = (pairs) => `{ workflow(id: "${workflowId}") { ${'latestVersion { workflow { '.repeat(pairs)}id${' } }'.repeat(pairs)} } }`;
  return {
    'baseline: one workflow, two fields': `{ workflow(id: "${workflowId}") { id name } }`,
    'deep: workflow/latestVersion x 499 (depth 999)': deep(499),
    'deep: workflow/latestVersion x 50 (depth 101)': deep(50),
    'aliases: steps { pN: params } to 256 KB': `{ workflowVersion(id: "${versionId}") { steps { ${fill((i) => `p${i}: params`)} } } }`,
    'aliases: sN: steps { params } x 998': `{ workflowVersion(id: "${versionId}") { ${Array.from({ length: 998 }, (_, i) => `s${i}: steps { params }`).join(' ')} } }`,
    'aliases: root aN: __typename to 256 KB (cost 0)': `{ ${fill((i) => `a${i}: __typename`)} }`,
    'wide: execution { wN: workflowVersion { steps { type } } } x 332': `{ execution(id: "${executionId}") { ${Array.from({ length: 332 }, (_, i) => `w${i}: workflowVersion { steps { type } }`).join(' ')} } }`,
  };
}

function planningMs(planner, schema, query) {
  const t = performance.now();
  planner.buildQueryPlan(operationFromDocument(schema, parse(query), { validate: true }));
  return performance.now() - t;
}

async function main() {
  const { platform, secret } = await startBenchPlatform('partner-shapes', cleanups);

  // A tenant with a workflow of realistic steps (the design's example) that ran once, and a partner key.
  const api = graphqlClient(platform.graphqlUrl);
  const must = async (q, v) => {
    const res = await api.request(q, v);
    if (!res.data || res.errors) throw new Error(`${q}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const { signUp } = await must('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery staple', name: 'Bench', tenantName: 'Bench' } });
  api.setToken(signUp.accessToken);
  const steps = [
    { type: 'filter', params: { sheet: 'Sales', where: { all: [{ column: 'region', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
    { type: 'compute_column', params: { sheet: 'Sales', column: 'margin', expression: 'amount * 0.2' } },
    { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }, { column: 'margin', fn: 'sum', as: 'margin' }] } },
    { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
    { type: 'output', params: { artifacts: [{ name: 'report.xlsx', format: 'xlsx', sheets: [{ from: 'Sales', as: 'Filtered' }, { from: 'Summary' }] }] } },
  ];
  const { createWorkflow } = await must('mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }',
    { i: { name: 'bench', steps } });
  const bytes = await demoWorkbook();
  const { createUpload } = await must('mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }',
    { i: { name: 'Sales.xlsx', size: bytes.length } });
  await fetch(createUpload.uploadUrl, { method: 'PUT', body: bytes });
  const { startExecution } = await must('mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }',
    { i: { workflowVersionId: createWorkflow.workflow.latestVersion.id, fileId: createUpload.file.id, idempotencyKey: randomUUID() } });
  const { createApiKey } = await must('mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
    { i: { name: 'bench', scopes: ['workflows:read', 'executions:read', 'files:read', 'deliveries:read'] } });

  // The gateway under test, alone in its process, as in production (limits from the environment's defaults).
  const port = await freePort();
  gatewayProcess = spawn(process.execPath, [join(repo, 'gateway/dist/main.js')], {
    cwd: repo, stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'error', HOST: '127.0.0.1', PORT: String(port), INTERNAL_TOKEN_SECRET: secret,
      AUTH_URL: platform.urls.auth, WORKFLOWS_URL: platform.urls.workflows, EXECUTIONS_URL: platform.urls.executions,
      FILES_URL: platform.urls.files, DELIVERY_URL: platform.urls.delivery, KAFKA_BROKERS: '',
      // Large enough that repeating a shape is never refused by the window: every shape's cost is printed
      // and is at most 1000, the default budget, so a key could send each of them once a minute anyway.
      PARTNER_BUDGET_POINTS: '1000000000',
    },
  });
  const url = `http://127.0.0.1:${port}/partner/graphql`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
    if (i > 200) throw new Error('gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  const supergraph = Supergraph.build(await readFile(join(repo, 'gateway/partner-supergraph.graphql'), 'utf8'));
  const planner = new QueryPlanner(supergraph);
  const ids = { workflowId: createWorkflow.workflow.id, versionId: createWorkflow.workflow.latestVersion.id, executionId: startExecution.id };
  const send = async (query) => {
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${createApiKey.secret}` }, body: JSON.stringify({ query }) });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - t, bytes: text.length, body: text.length < 1e6 ? JSON.parse(text) : JSON.parse(text.slice(-400).replace(/^.*"extensions":/, '{"extensions":')) };
  };
  await send(`{ workflow(id: "${ids.workflowId}") { id } }`); // warm the key cache and the connection

  console.log(`\npartner shapes: ${REQUESTS} requests per shape, each a new document; gateway in its own process\n`);
  console.log(['shape'.padEnd(62), 'status', 'code'.padEnd(18), 'bytes', 'cost', 'CPU ms/req', 'wall ms', 'plan ms', 'doc KB', 'RSS MB'].join(' | '));
  for (const [name, query] of Object.entries(shapes(ids))) {
    let plan;
    try { plan = planningMs(planner, supergraph.apiSchema(), query).toFixed(1); } catch (err) { plan = `- (${err.message.slice(0, 40)})`; }
    const before = cpuSeconds(gatewayProcess.pid);
    let last, wall = 0;
    for (let i = 0; i < REQUESTS; i++) {
      last = await send(`# ${randomUUID()}\n${query}`);
      wall += last.ms;
    }
    const cpu = ((cpuSeconds(gatewayProcess.pid) - before) * 1000) / REQUESTS;
    const code = last.body.errors?.[0]?.extensions?.code ?? '';
    console.log([name.padEnd(62), String(last.status).padStart(6), code.padEnd(18), String(last.bytes).padStart(9),
      String(last.body.extensions?.cost?.points ?? '-').padStart(4), cpu.toFixed(1).padStart(10), (wall / REQUESTS).toFixed(1).padStart(7),
      plan.padStart(7), (query.length / 1024).toFixed(0).padStart(6), rssMb(gatewayProcess.pid).toFixed(0).padStart(6)].join(' | '));
  }
}

try {
  await main();
} finally {
  gatewayProcess?.kill('SIGTERM');
  for (const c of cleanups.reverse()) await c().catch((err) => console.error('cleanup:', err.message));
}
