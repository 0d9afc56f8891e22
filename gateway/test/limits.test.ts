import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokens, createLogger } from '@rowline/kit';
import { createGateway, loadSupergraph, type Gateway } from '@rowline/gateway';
import { SUBGRAPHS, type SubgraphName } from '../src/env.js';
import { loadSafelist, sha256Hex, type LimitsConfig } from '../src/limits/index.js';
import { countingProxy } from './support/counting-proxy.js';
import { rawSubscriber } from './support/live.js';
import { AUDIENCE, ISSUER, startTestPlatform, type Reply, type TestPlatform } from './support/platform.js';

let t: TestPlatform;
let proxies: Array<Awaited<ReturnType<typeof countingProxy>>>;
let urls: Record<SubgraphName, string>;
let token: string;
let tmp: string;
const gateways: Gateway[] = [];

/** Subgraph calls so far, over every subgraph. */
const subgraphCalls = () => proxies.reduce((n, p) => n + p.calls, 0);

const TEST_LIMITS: Partial<LimitsConfig> = {
  maxDepth: 6, maxAliases: 3, maxRootFields: 3, maxTokens: 300, maxBodyBytes: 4096, maxCost: 500, costBudgetPerMinute: 1_000_000,
};

/** A gateway of our own over the platform's subgraphs, each behind a counting proxy. */
async function gatewayWith(limits: Partial<LimitsConfig>, extra: { introspection?: boolean; logs?: string[]; subscriptions?: boolean } = {}) {
  const logs = extra.logs;
  const gateway = await createGateway({
    logger: logs ? createLogger({ service: 'gateway', destination: new Writable({ write(line, _enc, done) { logs.push(String(line)); done(); } }) })
      : createLogger({ service: 'gateway', level: 'silent' }),
    tokens: createInternalTokens(t.internalTokenSecret),
    supergraphSdl: await loadSupergraph(),
    urls, jwt: { issuer: ISSUER, audience: AUDIENCE }, introspection: extra.introspection ?? false, limits,
    ...(extra.subscriptions ? { bus: t.platform.bus, instanceId: `limits-${gateways.length}` } : {}),
  });
  gateways.push(gateway);
  const url = `http://127.0.0.1:${await gateway.listen(0)}/graphql`;
  const send = async (body: unknown, init: { method?: string; raw?: boolean } = {}): Promise<Reply & { extensions?: any; headers: Headers; list?: unknown }> => {
    const res = await fetch(url, {
      method: init.method ?? 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
      body: init.method === 'GET' ? undefined : init.raw ? (body as string) : JSON.stringify(body),
    });
    const json = (await res.json()) as Reply | Reply[];
    return Array.isArray(json) ? { status: res.status, headers: res.headers, list: json } : { status: res.status, headers: res.headers, ...json };
  };
  return { url, send, post: (query: string, variables: object = {}) => send({ query, variables }) };
}

/** Sends `query` and checks it was refused with `code` while no subgraph saw a request. */
async function expectRefusedBeforeSubgraphs(reply: Promise<Reply>, code: string) {
  const before = subgraphCalls();
  const r = await reply;
  expect(r.errors?.map((e) => e.extensions?.code), JSON.stringify(r)).toEqual([code]);
  expect(r.data ?? null).toBeNull();
  expect(subgraphCalls()).toBe(before);
  return r;
}

beforeAll(async () => {
  t = await startTestPlatform();
  proxies = await Promise.all(SUBGRAPHS.map((name) => countingProxy(t.platform.urls[name])));
  urls = Object.fromEntries(SUBGRAPHS.map((name, i) => [name, proxies[i]!.url])) as Record<SubgraphName, string>;
  token = (await t.signUp()).accessToken;
  tmp = await mkdtemp(join(tmpdir(), 'rowline-limits-'));
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const p of proxies ?? []) await p.close();
  await t?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const ME = '{ me { user { id } } }';

describe('the public endpoint within its limits', () => {
  it('answers, calling subgraphs, and reports the cost and the budget left in extensions', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    const before = subgraphCalls();
    const r = await g.post(ME);
    expect(r.errors).toBeUndefined();
    expect(r.data.me.user.id).toBeTruthy();
    expect(subgraphCalls()).toBeGreaterThan(before);
    expect(r.extensions.cost).toMatchObject({ requested: 3, remaining: 1_000_000 - 3, budgetPerMinute: 1_000_000 });
    expect(Date.parse(r.extensions.cost.resetAt)).toBeGreaterThan(Date.now());
  });
});

describe('the public endpoint refuses, before any subgraph is called,', () => {
  let g: Awaited<ReturnType<typeof gatewayWith>>;
  beforeAll(async () => { g = await gatewayWith(TEST_LIMITS); });

  it('an operation nested deeper than the depth limit', async () => {
    const r = await expectRefusedBeforeSubgraphs(g.post('{ workflows { edges { node { latestVersion { workflow { latestVersion { workflow { id } } } } } } } }'), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'depth', max: 6 });
    expect(r.status).toBe(400);
  });

  it('too many aliases', async () => {
    const r = await expectRefusedBeforeSubgraphs(g.post('{ me { a: role b: role c: role d: role } }'), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'aliases', max: 3 });
  });

  it('too many top-level fields, counted through fragments', async () => {
    const r = await expectRefusedBeforeSubgraphs(g.post('query { me { role } ...More } fragment More on Query { ruleTypes { type } workflows { totalCount } files { totalCount } }'), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'rootFields', max: 3 });
  });

  it('a document of more tokens than allowed', async () => {
    const r = await expectRefusedBeforeSubgraphs(g.post(`{ me { user { ${'id '.repeat(400)} } } }`), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'tokens', max: 300 });
  });

  it('a body larger than allowed, with 413', async () => {
    const r = await expectRefusedBeforeSubgraphs(g.post(ME, { padding: 'x'.repeat(5000) }), 'PAYLOAD_TOO_LARGE');
    expect(r.status).toBe(413);
  });

  it('a page larger than 100, as a literal or a variable', async () => {
    const literal = await expectRefusedBeforeSubgraphs(g.post('{ workflows(first: 101) { totalCount } }'), 'BAD_USER_INPUT');
    expect(literal.errors![0]!.extensions).toMatchObject({ argument: 'first', max: 100 });
    await expectRefusedBeforeSubgraphs(g.post('query($n: Int) { files(first: $n) { totalCount } }', { n: 5000 }), 'BAD_USER_INPUT');
  });

  it('an operation whose estimated cost is above the per-operation limit', async () => {
    const r = await expectRefusedBeforeSubgraphs(
      g.post('{ workflows(first: 100) { edges { node { executions(first: 100) { totalCount } } } } }'), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'cost', max: 500 });
    expect(r.errors![0]!.extensions!.cost).toBeGreaterThan(500);
  });

  it('routes nested in destinations, priced by their page sizes', async () => {
    // Routes were a plain list once, priced as one item: Destination.routes and Route.destination form a cycle, and
    // five nested levels cost about 11 and answered R^5 routes for R workflows attached to one destination.
    const r = await expectRefusedBeforeSubgraphs(g.post('{ destinations(first: 100) { edges { node { routes(first: 100) { totalCount } } } } }'), 'QUERY_TOO_COMPLEX');
    expect(r.errors![0]!.extensions).toMatchObject({ limit: 'cost', max: 500 });
  });

  it('a batch of operations in one JSON array', async () => {
    const before = subgraphCalls();
    const r = await g.send([{ query: ME }, { query: ME }]);
    expect(r.status).toBe(400);
    expect(r.list).toBeUndefined();
    expect(subgraphCalls()).toBe(before);
  });

  it('a mutation over GET', async () => {
    const before = subgraphCalls();
    const res = await fetch(`${g.url}?query=${encodeURIComponent('mutation { logOut(refreshToken: "x") }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
    expect(subgraphCalls()).toBe(before);
  });

  it('introspection, when it is off', async () => {
    const before = subgraphCalls();
    const r = await g.post('{ __schema { types { name } } }');
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.message).toMatch(/introspection/i);
    expect(subgraphCalls()).toBe(before);
  });
});

describe('the per-tenant cost budget', () => {
  /** The budget's windows are calendar minutes: a test that spends one must not straddle two. */
  const withinOneMinute = async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await sleep(left + 50);
  };

  it('answers RATE_LIMITED with the reset time once a minute\'s budget is spent, and calls no subgraph', async () => {
    const g = await gatewayWith({ ...TEST_LIMITS, costBudgetPerMinute: 10 });
    await withinOneMinute();
    const first = await g.post(ME);
    const second = await g.post(ME);
    const third = await g.post(ME);
    expect([first, second, third].map((r) => r.extensions?.cost?.remaining)).toEqual([7, 4, 1]);
    const r = await expectRefusedBeforeSubgraphs(g.post(ME), 'RATE_LIMITED');
    expect(r.status).toBe(429);
    const ext = r.errors![0]!.extensions!;
    expect(ext).toMatchObject({ cost: 3, remaining: 1 });
    const resetAt = Date.parse(ext.resetAt as string);
    expect(resetAt).toBeGreaterThan(Date.now());
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is kept per tenant: another tenant still has its own', async () => {
    const g = await gatewayWith({ ...TEST_LIMITS, costBudgetPerMinute: 3 });
    await withinOneMinute();
    expect((await g.post(ME)).errors).toBeUndefined();
    await expectRefusedBeforeSubgraphs(g.post(ME), 'RATE_LIMITED');
    const mine = token;
    token = (await t.signUp('Other')).accessToken;
    try {
      expect((await g.post(ME)).errors).toBeUndefined();
    } finally {
      token = mine;
    }
  });
});

describe('batching, when enabled by configuration', () => {
  it('answers each operation of the array', async () => {
    const g = await gatewayWith({ ...TEST_LIMITS, batching: true });
    const r = await g.send([{ query: ME }, { query: '{ me { role } }' }]);
    expect(r.status).toBe(200);
    expect((r.list as Array<{ data: { me: object } }>).map((x) => Object.keys(x.data.me))).toEqual([['user'], ['role']]);
  });
});

describe('errors reaching clients', () => {
  it('hide an internal failure behind a generic message with the request id, and no stack', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    proxies[SUBGRAPHS.indexOf('auth')]!.failNext();
    const r = await g.post(ME);
    const text = JSON.stringify(r);
    expect(r.errors?.[0]?.message).toBe('Internal server error');
    expect(r.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(r.errors?.[0]?.extensions?.requestId).toBe(r.headers.get('x-request-id'));
    expect(text).not.toMatch(/ECONNREFUSED|TCPConnectWrap|stacktrace|10\.0\.0\.7/);
  });

  it('log every internal failure they hide with its request id and its cause', async () => {
    const logs: string[] = [];
    const g = await gatewayWith(TEST_LIMITS, { logs });
    proxies[SUBGRAPHS.indexOf('auth')]!.failNext();
    const r = await g.post(ME);
    const requestId = r.errors?.[0]?.extensions?.requestId;
    expect(requestId).toBe(r.headers.get('x-request-id'));
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.requestId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'internal error, hidden from the client' });
    expect(JSON.stringify(lines[0])).toMatch(/500.*ECONNREFUSED 10\.0\.0\.7/s);
  });

  it('give no "Did you mean" hints unless suggestions are enabled', async () => {
    const hidden = await (await gatewayWith(TEST_LIMITS)).post('{ workflow { id } me { usr { id } } }');
    expect(hidden.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(hidden.errors)).not.toMatch(/Did you mean/);
    const shown = await (await gatewayWith({ ...TEST_LIMITS, suggestions: true })).post('{ me { usr { id } } }');
    expect(shown.errors?.[0]?.message).toMatch(/Did you mean "user"/);
  });

  it('answer a body that is not JSON with BAD_USER_INPUT as JSON, not an HTML page', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    const r = await g.send('{"query": ', { raw: true });
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('custom scalar input (SafeInt, DateTimeISO, JSON)', () => {
  const UPLOAD = (size: string) => `mutation { createUpload(input: { name: "a.csv", size: ${size} }) { uploadUrl } }`;
  const UPLOAD_VAR = 'mutation($i: CreateUploadInput!) { createUpload(input: $i) { uploadUrl } }';

  it('refuses a bad literal with BAD_USER_INPUT naming the argument, before any subgraph', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    for (const size of ['1.5', '"abc"', '"12"', '9007199254740993', '1e300']) {
      const r = await expectRefusedBeforeSubgraphs(g.post(UPLOAD(size)), 'BAD_USER_INPUT');
      expect(r.status, size).toBe(400);
      expect(r.errors![0]!.message, size).toMatch(/^Argument "input\.size" of createUpload got invalid value .*SafeInt cannot represent/);
      expect(r.errors![0]!.extensions, size).toMatchObject({ argument: 'input.size', field: 'createUpload' });
    }
    const key = await expectRefusedBeforeSubgraphs(g.post('mutation { createApiKey(input: { name: "k", scopes: [], expiresAt: "not-a-date" }) { secret } }'), 'BAD_USER_INPUT');
    expect(key.errors![0]!.message).toMatch(/^Argument "input\.expiresAt" of createApiKey got invalid value "not-a-date"; DateTime cannot represent/);
    const runs = await expectRefusedBeforeSubgraphs(g.post('{ executions(filter: { from: "yesterday" }) { edges { node { id } } } }'), 'BAD_USER_INPUT');
    expect(runs.errors![0]!.message).toMatch(/^Argument "filter\.from" of executions got invalid value "yesterday"/);
    const steps = await expectRefusedBeforeSubgraphs(g.post('{ validateWorkflow(steps: [{ type: "filter", params: gt }]) { message } }'), 'BAD_USER_INPUT');
    expect(steps.errors![0]!.message).toMatch(/^Argument "steps\[0\]\.params" of validateWorkflow got invalid value gt/);
    const fallback = await expectRefusedBeforeSubgraphs(g.post('query($f: ExecutionFilterInput = { to: "soon" }) { executions(filter: $f) { edges { node { id } } } }'), 'BAD_USER_INPUT');
    expect(fallback.errors![0]!.message).toMatch(/^The default value of "\$f\.to" got invalid value "soon"/);
  });

  it('refuses a bad variable with BAD_USER_INPUT naming the variable, before any subgraph', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    for (const size of [1.5, 'abc', '12', 9007199254740993, 1e300]) {
      const r = await expectRefusedBeforeSubgraphs(g.post(UPLOAD_VAR, { i: { name: 'a.csv', size } }), 'BAD_USER_INPUT');
      expect(r.status, String(size)).toBe(400);
      expect(r.errors![0]!.message, String(size)).toMatch(/^Variable "\$i" got invalid value .* at "i\.size"; SafeInt cannot represent/);
    }
    const runs = await expectRefusedBeforeSubgraphs(g.post('query($from: DateTimeISO) { executions(filter: { from: $from }) { edges { node { id } } } }', { from: 'yesterday' }), 'BAD_USER_INPUT');
    expect(runs.errors![0]!.message).toMatch(/^Variable "\$from" got invalid value "yesterday"/);
  });

  it('passes good values on to the subgraph', async () => {
    const g = await gatewayWith(TEST_LIMITS);
    expect((await g.post(UPLOAD('12'))).errors).toBeUndefined();
    expect((await g.post(UPLOAD_VAR, { i: { name: 'a.csv', size: 12 } })).errors).toBeUndefined();
    const when = { from: '2026-01-01T00:00:00Z' };
    expect((await g.post('query($from: DateTimeISO) { executions(filter: { from: $from }) { edges { node { id } } } }', when)).errors).toBeUndefined();
    expect((await g.post('{ validateWorkflow(steps: [{ type: "sort", params: { by: [{ column: "a" }] } }]) { message } }')).errors).toBeUndefined();
  });
});

describe('the persisted-operation safelist', () => {
  const registered = '{ me { role } }';
  let g: Awaited<ReturnType<typeof gatewayWith>>;
  beforeAll(async () => {
    const path = join(tmp, 'manifest.json');
    await writeFile(path, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(registered), name: 'Role', type: 'query', body: registered }] }));
    g = await gatewayWith({ ...TEST_LIMITS, safelist: await loadSafelist(path, true) }, { subscriptions: true });
  });

  it('refuses an unregistered operation over the graphql-ws socket too, and runs a registered one', async () => {
    const before = subgraphCalls();
    const refused = await rawSubscriber(g.url, token, ME, {});
    const error = await nextMessage(refused.messages, (m) => m.id === '1');
    expect(error).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'OPERATION_NOT_ALLOWED' } }] });
    const feed = 'subscription { executionEvents { execution { id } } }';
    const ws = refused.ws;
    ws.send(JSON.stringify({ id: '2', type: 'subscribe', payload: { query: feed } }));
    expect(await nextMessage(refused.messages, (m) => m.id === '2')).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'OPERATION_NOT_ALLOWED' } }] });
    expect(subgraphCalls()).toBe(before);
    ws.send(JSON.stringify({ id: '4', type: 'subscribe', payload: { query: registered } }));
    expect(await nextMessage(refused.messages, (m) => m.id === '4')).toMatchObject({ type: 'next', payload: { data: { me: { role: 'OWNER' } } } });
    ws.close();
  });

  it('runs a registered operation sent by its hash alone', async () => {
    const r = await g.send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(registered) } } });
    expect(r.errors).toBeUndefined();
    expect(r.data.me.role).toBe('OWNER');
  });

  it('runs a registered operation sent as text', async () => {
    expect((await g.post(registered)).data.me.role).toBe('OWNER');
  });

  it('refuses an unknown hash and an unregistered text when enforced', async () => {
    const unknown = await expectRefusedBeforeSubgraphs(g.send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ me { user { id } } }') } } }), 'OPERATION_NOT_ALLOWED');
    expect(unknown.status).toBe(403);
    await expectRefusedBeforeSubgraphs(g.post(ME), 'OPERATION_NOT_ALLOWED');
  });

  it('refuses at load a manifest whose ids are not the hashes of their bodies', async () => {
    const path = join(tmp, 'forged.json');
    await writeFile(path, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha256Hex(registered), body: '{ me { user { id } } }' }] }));
    await expect(loadSafelist(path, true)).rejects.toThrow(/not the sha256 of its body/);
  });
});

/** The first message of the socket that `match` accepts, waiting up to 5 s for it. */
async function nextMessage(messages: any[], match: (m: any) => boolean): Promise<any> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = messages.find(match);
    if (found) return found;
    await sleep(20);
  }
  throw new Error(`no matching message among ${JSON.stringify(messages)}`);
}
