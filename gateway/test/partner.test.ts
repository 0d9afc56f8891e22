import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWorkbook } from '@rowline/embedded';
import { codesOf, startTestPlatform, type Reply, type TestPlatform } from './support/platform.js';
import { ed25519, genuine, jws } from './support/tokens.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'amount', op: 'gt', value: 100 } } },
  { type: 'output', params: { artifacts: [{ name: 'big.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];
const ALL_SCOPES = ['workflows:read', 'executions:read', 'files:read', 'deliveries:read'];
/** Short so the revocation and budget tests are quick; the defaults are 30 s and 1000 points a minute. */
const KEY_CACHE_MS = 400;
const BUDGET = { points: 300, windowMs: 6000 };
/** Usage reports wait 5 s by default; the tests wait at most a few of them. */
const USAGE_FLUSH_MS = 300;

let t: TestPlatform;
type Tenant = Awaited<ReturnType<TestPlatform['signUp']>>;
let acme: Tenant & { workflowId: string; executionId: string; artifact: { id: string; name: string } };
let globex: Tenant;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function as<T = any>(token: string, query: string, variables: object = {}): Promise<T> {
  const res = await t.post(query, { token, variables });
  if (!res.data || res.errors) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** One request to /partner/graphql, sent however the test says. */
async function partner<T = any>(key: string | undefined, body: unknown, init: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}) {
  const url = new URL(`${t.platform.url}/partner/graphql`);
  const method = init.method ?? 'POST';
  if (method === 'GET') for (const [k, v] of Object.entries(body as object)) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(url, {
    method,
    headers: {
      ...(method === 'POST' ? { 'content-type': 'application/json' } : { 'apollo-require-preflight': 'true' }),
      ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}),
      ...init.headers,
    },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, headers: res.headers, ...((await res.json()) as object) } as Reply<T> & { headers: Headers; extensions?: any };
}
const query = <T = any>(key: string, q: string, variables: object = {}) => partner<T>(key, { query: q, variables });

async function createKey(tenant: Tenant, input: { scopes?: string[]; expiresAt?: string } = {}) {
  const data = await as(tenant.accessToken, `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`,
    { i: { name: 'partner', scopes: input.scopes ?? ALL_SCOPES, expiresAt: input.expiresAt } });
  return { key: data.createApiKey.secret as string, id: data.createApiKey.apiKey.id as string };
}

/** A tenant with a workflow that ran once to SUCCEEDED on the demo workbook, driven through /graphql. */
async function tenantWithRun(name: string) {
  const tenant = await t.signUp(name);
  const created = await as(tenant.accessToken, `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
    { i: { name: `${name} big sales`, steps: STEPS } });
  const bytes = await demoWorkbook();
  const upload = await as(tenant.accessToken, `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
  const put = await fetch(upload.createUpload.uploadUrl, { method: 'PUT', body: bytes });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status}`);
  const started = await as(tenant.accessToken, `mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
    { i: { workflowVersionId: created.createWorkflow.workflow.latestVersion.id, fileId: upload.createUpload.file.id, idempotencyKey: randomUUID() } });
  const executionId = started.startExecution.id as string;
  const artifacts = await until('the run to succeed', async () => {
    const run = (await as(tenant.accessToken, `query($id: ID!) { execution(id: $id) { status artifacts { id name } } }`, { id: executionId })).execution;
    if (run.status === 'FAILED') throw new Error('run failed');
    return run.status === 'SUCCEEDED' ? run.artifacts as Array<{ id: string; name: string }> : undefined;
  });
  return { ...tenant, workflowId: created.createWorkflow.workflow.id as string, executionId, artifact: artifacts[0]! };
}

/** Calls auth's verify route has answered so far, from auth's own metrics. */
async function verifyCalls(): Promise<number> {
  const text = await (await fetch(`${t.platform.urls.auth}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('rowline_http_requests_total') && l.includes('route="/internal/api-keys/verify"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** A key as its tenant's admins see it in `apiKeys`. */
async function keyRow(id: string) {
  const keys = await as(acme.accessToken, '{ apiKeys(first: 100) { edges { node { id requestCount costPoints lastUsedAt revokedAt } } } }');
  return keys.apiKeys.edges.map((e: any) => e.node).find((n: any) => n.id === id);
}

async function sql<R>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try { return (await client.query(text, params)).rows as R[]; } finally { await client.end(); }
}

beforeAll(async () => {
  t = await startTestPlatform({ partner: { keyCacheMs: KEY_CACHE_MS, budgetPoints: BUDGET.points, budgetWindowMs: BUDGET.windowMs, usageFlushMs: USAGE_FLUSH_MS } });
  acme = await tenantWithRun('Acme');
  globex = await t.signUp('Globex');
});
afterAll(async () => { await t?.stop(); });

const RUNS = `query($first: Int) { executions(first: $first) { edges { node {
  id status progress { percent } steps { index type status rowsIn rowsOut } error { code }
  artifacts { id name size sha256 downloadUrl } workflowVersion { number workflow { id name } } deliveries { status }
} } } }`;

describe('a partner key', () => {
  it('reads its tenant\'s runs and downloads an artifact', async () => {
    const { key } = await createKey(acme);
    const reply = await query(key, RUNS, { first: 5 });
    expect(reply.errors).toBeUndefined();
    expect(reply.status).toBe(200);
    const runs = reply.data.executions.edges.map((e: any) => e.node);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      id: acme.executionId, status: 'SUCCEEDED', error: null, deliveries: [],
      workflowVersion: { number: 1, workflow: { id: acme.workflowId, name: 'Acme big sales' } },
    });
    expect(runs[0].steps.map((s: any) => s.type)).toEqual(['filter', 'output']);
    const [artifact] = runs[0].artifacts;
    expect(artifact).toMatchObject({ id: acme.artifact.id, name: 'big.csv' });
    const download = await fetch(artifact.downloadUrl);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(artifact.size);
    expect(bytes.toString('utf8').split('\n')[0]).toContain('amount');
    expect(reply.extensions.cost).toMatchObject({ limit: BUDGET.points });
    expect(reply.extensions.cost.points).toBeGreaterThan(0);

    // Read-only, as inputFile: the other files a run was given (none for this one); a list of at most 10, priced as 10.
    const files = await query(key, `query($id: ID!) { execution(id: $id) { files { key file { id name } } } }`, { id: acme.executionId });
    expect(files.errors).toBeUndefined();
    expect(files.data.execution).toEqual({ files: [] });
    expect(files.extensions.cost.points).toBe(12);

    const filtered = await query(key, `{ executions(first: 5, filter: { status: SUCCEEDED }) { edges { node { id } } pageInfo { hasNextPage } } }`);
    expect(filtered.data.executions).toEqual({ edges: [{ node: { id: acme.executionId } }], pageInfo: { hasNextPage: false } });
    expect(codesOf(await query(key, `{ executions(filter: { status: FAILED }) { edges { node { id } } } }`))).toEqual([]);

    const one = await query(key, `query($id: ID!) { file(id: $id) { name status kind } workflow(id: "${acme.workflowId}") { name } }`, { id: acme.artifact.id });
    expect(one.data).toEqual({ file: { name: 'big.csv', status: 'READY', kind: 'ARTIFACT' }, workflow: { name: 'Acme big sales' } });
  });

  it('answers NOT_FOUND for another tenant\'s ids', async () => {
    const { key } = await createKey(globex);
    expect(codesOf(await query(key, `query($id: ID!) { execution(id: $id) { id } }`, { id: acme.executionId }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await query(key, `query($id: ID!) { file(id: $id) { id } }`, { id: acme.artifact.id }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await query(key, `query($id: ID!) { workflow(id: $id) { id } }`, { id: acme.workflowId }))).toEqual(['NOT_FOUND']);
    expect((await query(key, RUNS)).data.executions.edges).toEqual([]);
  });

  it('runs the example of docs/partner-api.md as written: the key it creates, then its query', async () => {
    const doc = await readFile(new URL('../../docs/partner-api.md', import.meta.url), 'utf8');
    const create = /```graphql\n(mutation \{\n  createApiKey[\s\S]*?)```/.exec(doc)![1]!;
    const body = /-d '(\{"query":.*\})'/.exec(doc)![1]!;
    const key = (await as(acme.accessToken, create)).createApiKey.secret as string;
    const reply = await partner(key, JSON.parse(body));
    expect(reply.errors).toBeUndefined();
    expect(reply.data.executions.edges.map((e: any) => e.node)).toEqual([expect.objectContaining({
      id: acme.executionId, status: 'SUCCEEDED', deliveries: [], artifacts: [expect.objectContaining({ name: 'big.csv' })] })]);
  });

  it('answers each error with the HTTP status docs/partner-api.md gives it', async () => {
    const doc = await readFile(new URL('../../docs/partner-api.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('| code | HTTP status | when |'));
    const documented = [...table.matchAll(/^\s*\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const { key } = await createKey(acme);
    const narrow = (await createKey(acme, { scopes: ['executions:read'] })).key;
    const other = (await createKey(globex)).key;
    const spender = (await createKey(acme)).key;
    // One request per row: what a partner sends to meet that error.
    const cases: Array<() => Promise<Reply>> = [
      () => partner('rwl_bad', { query: '{ __typename }' }),
      () => query(key, `mutation { revokeApiKey(id: "${randomUUID()}") { id } }`),
      () => query(narrow, '{ executions(first: 5) { edges { node { id deliveries { status } } } } }'),
      () => query(other, `query($id: ID!) { execution(id: $id) { id } }`, { id: acme.executionId }),
      () => query(key, '{ executions(filter: { from: "yesterday" }) { edges { node { id } } } }'),
      () => query(key, '{ executions(filter: { workflowId: "nope" }) { edges { node { id } } } }'),
      () => query(key, '{ nope }'),
      () => query(key, '{ executions(first: 100) { edges { node { id progress { percent } } } } }'),
      // 1 + 99 × 3 = 298 points of the budget of 300, then 4 more than is left.
      async () => { await query(spender, '{ executions(first: 99) { edges { node { id progress { percent } } } } }'); return query(spender, '{ executions(first: 1) { edges { node { id progress { percent } } } } }'); },
    ];
    const observed: string[] = [];
    for (const send of cases) {
      const reply = await send();
      observed.push(`${codesOf(reply)[0]} ${reply.status}`);
    }
    // Every observed answer is a row of the doc, and the doc gives no other status to a code observed here.
    for (const row of observed) expect(documented, 'the doc\'s error table').toContain(row);
    const codes = new Set(observed.map((r) => r.split(' ')[0]));
    expect(documented.filter((r) => codes.has(r.split(' ')[0])).sort()).toEqual([...new Set(observed)].sort());
  });

  it('loses the whole answer to a non-null field outside its scopes, with a path the client can read', async () => {
    const { key } = await createKey(acme, { scopes: ['executions:read', 'files:read'] });
    const reply = await query(key, '{ executions(first: 5) { edges { node { id deliveries { status } } } } }');
    expect(reply.data).toBeNull();
    expect(reply.errors).toMatchObject([{ message: 'Missing permission deliveries:read', path: ['executions', 'edges'], extensions: { code: 'FORBIDDEN' } }]);
    const one = await query(key, `{ execution(id: "${acme.executionId}") { id deliveries { status } } }`);
    expect(one.errors).toMatchObject([{ path: ['execution'], extensions: { code: 'FORBIDDEN' } }]);
  });

  it('refuses a bad date with BAD_USER_INPUT naming the argument or the variable', async () => {
    const { key } = await createKey(acme);
    const literal = await query(key, '{ executions(filter: { from: "yesterday" }) { edges { node { id } } } }');
    expect(literal.status).toBe(400);
    expect(literal.errors).toMatchObject([{ message: expect.stringMatching(/^Argument "filter\.from" of executions got invalid value "yesterday"/), extensions: { code: 'BAD_USER_INPUT' } }]);
    const variable = await query(key, 'query($from: DateTimeISO) { executions(filter: { from: $from }) { edges { node { id } } } }', { from: 'yesterday' });
    expect(variable.status).toBe(400);
    expect(variable.errors).toMatchObject([{ message: expect.stringMatching(/^Variable "\$from" got invalid value "yesterday"/), extensions: { code: 'BAD_USER_INPUT' } }]);
  });

  it('reads only what its scopes allow', async () => {
    const { key } = await createKey(acme, { scopes: ['executions:read'] });
    const runs = await query(key, `{ executions { edges { node { id status } } } }`);
    expect(runs.data.executions.edges).toEqual([{ node: { id: acme.executionId, status: 'SUCCEEDED' } }]);
    expect(codesOf(await query(key, `{ workflows { edges { node { id } } } }`))).toEqual(['FORBIDDEN']);
    expect(codesOf(await query(key, `query($id: ID!) { file(id: $id) { id } }`, { id: acme.artifact.id }))).toEqual(['FORBIDDEN']);
  });
});

describe('the read-only rule', () => {
  const REVOKE = (id: string) => `mutation { revokeApiKey(id: "${id}") { id } }`;

  it('refuses every mutation however it is sent, and the mutation changes nothing', async () => {
    const { key, id } = await createKey(acme);
    const attempts: Array<{ name: string; send: () => Promise<Reply> }> = [
      { name: 'direct', send: () => partner(key, { query: REVOKE(id) }) },
      { name: 'aliased', send: () => partner(key, { query: `mutation { harmless: revokeApiKey(id: "${id}") { id } }` }) },
      { name: 'named, beside a query chosen by operationName', send: () => partner(key, {
        query: `query Read { executions { edges { node { id } } } } mutation Write { revokeApiKey(id: "${id}") { id } }`, operationName: 'Read' }) },
      { name: 'named, chosen by operationName', send: () => partner(key, {
        query: `query Read { executions { edges { node { id } } } } mutation Write { revokeApiKey(id: "${id}") { id } }`, operationName: 'Write' }) },
      { name: 'batched in an array', send: () => partner(key, [{ query: '{ executions { edges { node { id } } } }' }, { query: REVOKE(id) }]) },
      { name: 'over GET', send: () => partner(key, { query: REVOKE(id) }, { method: 'GET' }) },
      { name: 'as a subscription', send: () => partner(key, { query: `subscription { executionUpdated(id: "${acme.executionId}") { event { type } } }` }) },
      { name: 'without a key', send: () => partner(undefined, { query: REVOKE(id) }) },
    ];
    for (const attempt of attempts) {
      const reply = await attempt.send();
      expect(codesOf(reply), attempt.name).toEqual(['FORBIDDEN']);
      expect(reply.status, attempt.name).toBe(403);
      expect(reply.data, attempt.name).toBeUndefined();
    }
    const [row] = await sql<{ revoked_at: Date | null }>('select revoked_at from auth.api_keys where id = $1', [id]);
    expect(row!.revoked_at).toBeNull();
    expect((await query(key, '{ executions { edges { node { id } } } }')).errors).toBeUndefined();
  });

  it('refuses a batch even of queries only, and answers a query over GET', async () => {
    const { key } = await createKey(acme);
    const batch = await partner(key, [{ query: '{ executions { edges { node { id } } } }' }, { query: '{ workflows { edges { node { id } } } }' }]);
    expect(batch.status).toBe(400);
    expect(codesOf(batch)).toEqual(['BAD_USER_INPUT']);
    const get = await partner(key, { query: '{ executions { edges { node { id } } } }' }, { method: 'GET' });
    expect(get.data?.executions.edges).toEqual([{ node: { id: acme.executionId } }]);
    // A body too large, or not JSON, answers in JSON with a stable code, as on /graphql.
    const huge = await fetch(`${t.platform.url}/partner/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: `{ __typename }${' '.repeat(300 * 1024)}` }),
    });
    expect([huge.status, codesOf((await huge.json()) as Reply)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
    const broken = await fetch(`${t.platform.url}/partner/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: '{"query": ',
    });
    expect([broken.status, codesOf((await broken.json()) as Reply)]).toEqual([400, ['BAD_USER_INPUT']]);
    // A charset or a content encoding the parser does not read is the client's mistake on either endpoint: 415, not 500.
    for (const path of ['/partner/graphql', '/graphql']) {
      for (const headers of [{ 'content-type': 'application/json; charset=latin1' }, { 'content-type': 'application/json', 'content-encoding': 'compress' }]) {
        const res = await fetch(`${t.platform.url}${path}`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${key}` }, body: '{"query":"{ __typename }"}' });
        expect([path, res.status, codesOf((await res.json()) as Reply)]).toEqual([path, 415, ['UNSUPPORTED_MEDIA_TYPE']]);
      }
    }
    // CSRF prevention: a GET needs a header a browser's simple request cannot send (the doc says which).
    const bare = await fetch(`${t.platform.url}/partner/graphql?query=%7B__typename%7D`, { headers: { authorization: `Bearer ${key}` } });
    expect(bare.status).toBe(400);
    expect(JSON.stringify(await bare.json())).toMatch(/Cross-Site Request Forgery/);
  });

  it('knows no untagged field and introspects as the contract only', async () => {
    const { key } = await createKey(acme);
    for (const q of ['{ me { role } }', '{ apiKeys { edges { node { id } } } }', '{ files { edges { node { id } } } }',
      '{ destinations { edges { node { id } } } }', `{ execution(id: "${acme.executionId}") { logs { message } } }`,
      `{ execution(id: "${acme.executionId}") { requestedBy { email } } }`, `{ file(id: "${acme.artifact.id}") { rejectionReason } }`]) {
      const reply = await query(key, q);
      expect(codesOf(reply), q).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(reply.errors![0]!.message, q).toMatch(/Cannot query field/);
    }
    const schema = (await query(key, `{ __schema { queryType { fields { name } } mutationType { name } subscriptionType { name } types { name } } }`)).data.__schema;
    expect(schema.queryType.fields.map((f: any) => f.name).sort()).toEqual(
      ['deliveries', 'delivery', 'execution', 'executions', 'file', 'workflow', 'workflowVersion', 'workflows']);
    expect(schema.mutationType).toBeNull();
    expect(schema.subscriptionType).toBeNull();
    const types = schema.types.map((x: any) => x.name);
    for (const hidden of ['ApiKey', 'Viewer', 'User', 'Tenant', 'Destination', 'Route', 'CreateUploadInput', 'RuleType', 'ExecutionLogLine']) {
      expect(types, hidden).not.toContain(hidden);
    }
    const file = (await query(key, `{ __type(name: "File") { fields { name } } }`)).data.__type;
    expect(file.fields.map((f: any) => f.name).sort()).toEqual(['contentType', 'createdAt', 'downloadUrl', 'id', 'kind', 'name', 'sha256', 'size', 'status']);
  });
});

describe('key checks', () => {
  it('refuses a key with a bad checksum without asking auth or the database', async () => {
    const { key } = await createKey(acme);
    const forged = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
    const [before] = await sql<{ n: string }>('select coalesce(sum(verify_count), 0) as n from auth.api_keys');
    const callsBefore = await verifyCalls();
    for (const bad of [forged, `${key.slice(0, 10)}${key.slice(10).split('').reverse().join('')}`, 'rwl_nothing', 'not-a-key']) {
      const reply = await partner(bad, { query: '{ executions { edges { node { id } } } }' });
      expect(reply.status, bad).toBe(401);
      expect(codesOf(reply), bad).toEqual(['UNAUTHENTICATED']);
    }
    expect(await verifyCalls()).toBe(callsBefore);
    expect(await sql('select coalesce(sum(verify_count), 0) as n from auth.api_keys')).toEqual([before]);
    // The same count moves for a well-formed key: the probe is not blind.
    await partner(key, { query: '{ executions { edges { node { id } } } }' });
    expect(await verifyCalls()).toBe(callsBefore + 1);
  });

  it('refuses a missing key, another scheme and a user\'s access token', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: `Bearer ${acme.accessToken}` }]) {
      const reply = await partner(undefined, { query: '{ executions { edges { node { id } } } }' }, { headers });
      expect(reply.status, JSON.stringify(headers)).toBe(401);
      expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('stops a revoked key within the cache lifetime', async () => {
    const { key, id } = await createKey(acme);
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(200);
    await as(acme.accessToken, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id });
    await sleep(KEY_CACHE_MS + 50);
    const reply = await query(key, '{ executions { edges { node { id } } } }');
    expect(reply.status).toBe(401);
    expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
  });

  it('stops an expired key once its expiry passes, even while its check is cached', async () => {
    const expiresAt = new Date(Date.now() + 5000);
    const { key } = await createKey(acme, { expiresAt: expiresAt.toISOString() });
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(200);
    // A check cached just before the expiry (unless this machine is slow enough to make it late: then the
    // key is already refused, and the last assertion holds the same).
    await sleep(expiresAt.getTime() - Date.now() - KEY_CACHE_MS / 2);
    await query(key, '{ executions { edges { node { id } } } }');
    await sleep(expiresAt.getTime() - Date.now() + 20);
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(401);
  });

  it('counts requests and cost points per key, on auth\'s row within seconds without another request', async () => {
    const { key, id } = await createKey(acme);
    let points = 0;
    for (let i = 0; i < 3; i++) points += (await query(key, '{ executions { edges { node { id } } } }')).extensions.cost.points;
    const node = await until('the usage report', async () => {
      const n = await keyRow(id);
      return n.requestCount >= 3 ? n : undefined;
    }, 10 * USAGE_FLUSH_MS);
    expect(node).toMatchObject({ requestCount: 3, costPoints: points });
    expect(node.lastUsedAt).not.toBeNull();
  });

  it('keeps the usage of a key revoked right after it served requests', async () => {
    const { key, id } = await createKey(acme);
    let points = 0;
    for (let i = 0; i < 4; i++) points += (await query(key, '{ executions { edges { node { id } } } }')).extensions.cost.points;
    await as(acme.accessToken, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id });
    // No request follows: the key's next check, which used to carry its usage, never comes.
    const node = await until('the revoked key\'s usage', async () => {
      const n = await keyRow(id);
      return n.requestCount >= 4 ? n : undefined;
    }, 10 * USAGE_FLUSH_MS);
    expect(node).toMatchObject({ requestCount: 4, costPoints: points });
    expect(node.revokedAt).not.toBeNull();
    await sleep(KEY_CACHE_MS + 50);
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(401);
    expect(await keyRow(id)).toMatchObject({ requestCount: 4, costPoints: points });
  });
});

describe('the cost budget', () => {
  it('runs out, answers RATE_LIMITED with the reset time, and starts over after it', async () => {
    const { key } = await createKey(acme);
    const big = `{ executions(first: 100) { edges { node { id status } } } }`;
    const first = await query(key, big);
    expect(first.errors).toBeUndefined();
    const cost = first.extensions.cost.points;
    expect(cost).toBe(1 + 100 * 2);
    expect(first.extensions.cost.remaining).toBe(BUDGET.points - cost);
    const refused = await query(key, big);
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    const resetAt = new Date(refused.errors![0]!.extensions!.resetAt as string);
    expect(resetAt.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.extensions.cost).toMatchObject({ points: cost, remaining: BUDGET.points - cost });
    // A cheaper query still fits in what is left.
    const small = await query(key, '{ executions(first: 1) { edges { node { id } } } }');
    expect(small.errors).toBeUndefined();
    expect(small.extensions.cost.remaining).toBe(BUDGET.points - cost - small.extensions.cost.points);
    // Another key of the same tenant has a budget of its own.
    const other = await createKey(acme);
    expect((await query(other.key, big)).errors).toBeUndefined();
    await sleep(resetAt.getTime() - Date.now() + 20);
    const again = await query(key, big);
    expect(again.errors).toBeUndefined();
    expect(again.extensions.cost.remaining).toBe(BUDGET.points - cost);
  });
});

describe('queries no budget can ever admit', () => {
  it('answer 400, not 429 with a retry-after, and spend nothing', async () => {
    const { key } = await createKey(acme);
    for (const first of [150, 1000]) {
      const reply = await query(key, `{ executions(first: ${first}) { edges { node { id status } } } }`);
      expect(reply.status, String(first)).toBe(400);
      expect(reply.headers.get('retry-after')).toBeNull();
      expect(reply.errors, String(first)).toMatchObject([{ message: `executions(first: ${first}) asks for more than 100 items`, extensions: { code: 'BAD_USER_INPUT', argument: 'first', max: 100 } }]);
    }
    // 1 + 100 × (edges 1 + node 1 + progress 1) = 301 points, above the whole budget of 300.
    const costly = await query(key, '{ executions(first: 100) { edges { node { id progress { percent } } } } }');
    expect(costly.status).toBe(400);
    expect(costly.headers.get('retry-after')).toBeNull();
    expect(costly.errors).toMatchObject([{ extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', cost: 301, max: BUDGET.points } }]);
    const after = await query(key, '{ executions(first: 1) { edges { node { id } } } }');
    expect(after.extensions.cost.remaining).toBe(BUDGET.points - after.extensions.cost.points);
  });
});

/** Requests every subgraph's /graphql has answered so far, from their own metrics. */
async function subgraphCalls(): Promise<number> {
  let calls = 0;
  for (const url of Object.values(t.platform.urls)) {
    const text = await (await fetch(`${url}/metrics`)).text();
    calls += text.split('\n').filter((l) => l.startsWith('rowline_http_requests_total') && l.includes('route="/graphql"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }
  return calls;
}

describe('the shape limits of /graphql, applied to partners too,', () => {
  /** Refused with 400 QUERY_TOO_COMPLEX and `limit`, before planning: no subgraph called, nothing spent. */
  async function expectRefused(key: string, q: string, limit: string, max: number) {
    const before = await subgraphCalls();
    const reply = await query(key, q);
    expect(reply.status, q.slice(0, 80)).toBe(400);
    expect(reply.errors, q.slice(0, 80)).toMatchObject([{ extensions: { code: 'QUERY_TOO_COMPLEX', limit, max } }]);
    expect(reply.data ?? null).toBeNull();
    expect(await subgraphCalls()).toBe(before);
    return reply;
  }

  it('refuse a deep chain of cheap fields, a scalar aliased many times, many root fields and a long document', async () => {
    const { key } = await createKey(acme);
    const versionId = (await query(key, `{ workflow(id: "${acme.workflowId}") { latestVersion { id } } }`)).data.workflow.latestVersion.id;
    // 13 levels for 13 points; 31 aliases of a free scalar for 2 points; 21 root fields; 5001 free tokens.
    await expectRefused(key, `{ workflow(id: "${acme.workflowId}") { ${'latestVersion { workflow { '.repeat(6)}id${' } }'.repeat(6)} } }`, 'depth', 12);
    await expectRefused(key, `{ workflowVersion(id: "${versionId}") { steps { ${Array.from({ length: 31 }, (_, i) => `p${i}: params`).join(' ')} } } }`, 'aliases', 30);
    await expectRefused(key, `{ ${Array.from({ length: 21 }, () => `workflow(id: "${acme.workflowId}") { id }`).join(' ')} }`, 'rootFields', 20);
    await expectRefused(key, `{ ${'__typename '.repeat(4999)} }`, 'tokens', 5000);
    // A mutation too long for the guard to parse is refused by the same limit: it never runs.
    await expectRefused(key, `mutation { revokeApiKey(id: "x") { id } ${'__typename '.repeat(5000)} }`, 'tokens', 5000);
    // The limits are those of /graphql: the deepest and widest allowed shapes still answer.
    const edge = await query(key, `{ workflow(id: "${acme.workflowId}") { ${'latestVersion { workflow { '.repeat(5)}id${' } }'.repeat(5)} } }`);
    expect(edge.errors).toBeUndefined();
    const aliased = await query(key, `{ workflowVersion(id: "${versionId}") { steps { ${Array.from({ length: 30 }, (_, i) => `p${i}: params`).join(' ')} } } }`);
    expect(aliased.errors).toBeUndefined();
    expect(Object.keys(aliased.data.workflowVersion.steps[0])).toHaveLength(30);
  });
});

describe('managing keys through the gateway', () => {
  it.each(['MEMBER', 'VIEWER'])('answers FORBIDDEN to a %s', async (role) => {
    const { id } = await createKey(acme);
    const { kid, key: signing } = await t.signingKey();
    const { header, claims } = genuine({ userId: acme.userId, tenantId: acme.tenantId }, kid);
    const token = jws(header, { ...claims, role }, ed25519(signing));
    for (const q of ['{ apiKeys { edges { node { id } } } }', `mutation { revokeApiKey(id: "${id}") { id } }`,
      `mutation { rotateApiKey(id: "${id}") { secret } }`, `mutation { createApiKey(input: { name: "x", scopes: ["files:read"] }) { secret } }`]) {
      expect(codesOf(await t.post(q, { token })), q).toEqual(['FORBIDDEN']);
    }
  });

  it('answers NOT_FOUND to another tenant\'s admin and leaves the key working', async () => {
    const { key, id } = await createKey(acme);
    for (const q of [`mutation { revokeApiKey(id: "${id}") { id } }`, `mutation { rotateApiKey(id: "${id}") { secret } }`]) {
      expect(codesOf(await t.post(q, { token: globex.accessToken })), q).toEqual(['NOT_FOUND']);
    }
    const listed = await as(globex.accessToken, '{ apiKeys { edges { node { id } } } }');
    expect(listed.apiKeys.edges.map((e: any) => e.node.id)).not.toContain(id);
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(200);
  });

  it('rotates a key: both work during the overlap, the old one stops after it', async () => {
    const { key, id } = await createKey(acme);
    const rotated = await as(acme.accessToken, `mutation($id: ID!) { rotateApiKey(id: $id, overlapSeconds: 1) { secret } }`, { id });
    const fresh = rotated.rotateApiKey.secret as string;
    expect((await query(fresh, '{ executions { edges { node { id } } } }')).status).toBe(200);
    await sleep(1000 + KEY_CACHE_MS + 50);
    expect((await query(key, '{ executions { edges { node { id } } } }')).status).toBe(401);
    expect((await query(fresh, '{ executions { edges { node { id } } } }')).status).toBe(200);
  });
});
