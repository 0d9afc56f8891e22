import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(); });
afterAll(async () => { await t?.stop(); });

const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, t.platform.url), { headers });

describe('the GraphiQL page', () => {
  it('is served to a browser asking GET /graphql for HTML', async () => {
    const res = await get('/graphql', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<title>Rowline GraphQL</title>');
    expect(page).toContain('GraphiQL.createFetcher({ url: "/graphql" })');
  });

  it('loads its scripts and styles from the gateway itself, not from a CDN', async () => {
    const page = await (await get('/graphql', { accept: 'text/html' })).text();
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual([
      '/graphiql-assets/graphiql.css', '/graphiql-assets/graphiql.js', '/graphiql-assets/react-dom.js', '/graphiql-assets/react.js',
    ]);
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /javascript/);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(1000);
    }
  });

  it('serves no other file from the assets path', async () => {
    for (const path of ['/graphiql-assets/package.json', '/graphiql-assets/..%2F..%2Fpackage.json', '/graphiql-assets/%2e%2e%2fgraphiql.js']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('is not served to API clients, who get GraphQL', async () => {
    const res = await get('/graphql?query=%7B__typename%7D', { accept: 'application/json', 'apollo-require-preflight': 'true' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown }).data).toEqual({ __typename: 'Query' });
  });
});

describe('a path the gateway has no route for', () => {
  type NotFound = { error: { code: string; message: string; endpoints: Array<{ path: string; what: string }> } };

  it.each([['GET', '/'], ['GET', '/graphq'], ['POST', '/api/graphql'], ['GET', '/partner'], ['DELETE', '/healthz']])(
    'answers %s %s with JSON NOT_FOUND naming the real endpoints, as /files/* does, not Express\'s HTML page', async (method, path) => {
      const res = await fetch(new URL(path, t.platform.url), { method, headers: { accept: '*/*' } });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const { error } = (await res.json()) as NotFound;
      expect(error.code).toBe('NOT_FOUND');
      expect(error.endpoints.map((e) => e.path)).toEqual(expect.arrayContaining(['/graphql', '/partner/graphql', '/healthz', '/readyz']));
      for (const { path: endpoint } of error.endpoints) expect(error.message).toContain(endpoint);
    });

  it('names only endpoints that answer', async () => {
    const { error } = (await (await get('/nope')).json()) as NotFound;
    for (const { path } of error.endpoints.filter((e) => !e.path.includes('<'))) {
      const res = await get(path, { accept: 'application/json' });
      expect(res.status, path).not.toBe(404);
      await res.body?.cancel();
    }
  });

  it('sends a browser asking for / to the GraphQL IDE on /graphql', async () => {
    const res = await fetch(new URL('/', t.platform.url), { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/graphql');
  });
});

describe('connections', () => {
  it('keeps an idle connection 65 s, longer than the proxies in front keep theirs, and says so', async () => {
    const res = await get('/healthz');
    expect(res.headers.get('connection')).toBe('keep-alive');
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });
});

describe('health endpoints', () => {
  it('answer /healthz with 200', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answer /readyz with 200 once every subgraph answers', async () => {
    const res = await get('/readyz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> };
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => c.name).sort()).toEqual(['auth', 'delivery', 'executions', 'files', 'workflows']);
    expect(body.checks.every((c) => c.ok)).toBe(true);
  });

  it('has every subgraph report its own database in /readyz', async () => {
    for (const [name, url] of Object.entries(t.platform.urls)) {
      const res = await fetch(new URL('/readyz', url));
      const body = (await res.json()) as { checks: Array<{ name: string; ok: boolean }> };
      expect(res.status, name).toBe(200);
      expect(body.checks, name).toContainEqual({ name: 'postgres', ok: true });
    }
  });
});

describe('input errors', () => {
  it('answers a malformed cursor with BAD_USER_INPUT, not an internal error', async () => {
    const { accessToken } = await t.signUp();
    for (const after of ['not-a-cursor', Buffer.from('-'.repeat(36)).toString('base64url'), Buffer.from('f'.repeat(36)).toString('base64url')]) {
      const reply = await t.post('query($after: String) { workflows(after: $after) { edges { node { id } } } }', { token: accessToken, variables: { after } });
      expect(codesOf(reply), after).toEqual(['BAD_USER_INPUT']);
    }
  });
});
