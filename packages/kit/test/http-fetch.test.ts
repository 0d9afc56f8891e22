import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from '@rowline/kit';

let server: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/slow') return; // never answers
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end(JSON.stringify({ echo: body, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

/**
 * Which side ends the next connection the server accepts: 'client' when the client closes it (the server
 * reads its end), 'server' when the server's keep-alive timeout fires first.
 */
function nextConnectionClosedBy(srv: Server): Promise<'client' | 'server'> {
  return new Promise((resolve) => srv.once('connection', (socket) => {
    socket.once('end', () => resolve('client'));
    socket.once('timeout', () => resolve('server'));
  }));
}

describe('the service-to-service fetch', () => {
  it('sends the method, headers and body, and answers status, headers and JSON like fetch', async () => {
    const fetch = createHttpFetch();
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-rowline-test': 'yes' }, body: '{"q":1}' });
    expect(res).toMatchObject({ status: 200, ok: true, url: `${base}/graphql`, bodyUsed: false });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await res.clone().text()).toBe(JSON.stringify({ echo: '{"q":1}', path: '/graphql' }));
    expect(await res.json()).toEqual({ echo: '{"q":1}', path: '/graphql' });
    expect(res.bodyUsed).toBe(true);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', headers: { 'x-rowline-test': 'yes' }, body: '{"q":1}' });
  });

  it('answers an error status as a response, not a rejection', async () => {
    const res = await createHttpFetch()(new URL('/missing', base));
    expect(res).toMatchObject({ status: 404, ok: false });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/missing' });
  });

  it('reuses one connection for calls one after another', async () => {
    const fetch = createHttpFetch();
    const before = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/again`)).text();
    const after = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(after - before).toBe(1);
  });

  it('closes a connection idle for idleMs itself, so that it never sends on one the server is closing', async () => {
    // The test server keeps idle connections Node's default 5 s; this side lets go after 200 ms.
    const closed = nextConnectionClosedBy(server);
    await (await createHttpFetch({ idleMs: 200 })(`${base}/idle`)).text();
    expect(await closed).toBe('client');
  });

  it('closes a connection a second before the keep-alive the server announces, when that is sooner', async () => {
    // Keep-Alive: timeout=2: the server closes an idle connection after 2 s, this side after 1 s.
    const short = createServer((_req, res) => res.end('ok'));
    short.keepAliveTimeout = 2_000;
    await new Promise<void>((r) => short.listen(0, '127.0.0.1', r));
    try {
      const closed = nextConnectionClosedBy(short);
      const res = await createHttpFetch()(`http://127.0.0.1:${(short.address() as AddressInfo).port}/`);
      expect(res.headers.get('keep-alive')).toBe('timeout=2');
      expect(await closed).toBe('client');
    } finally {
      short.closeAllConnections();
      await new Promise((r) => short.close(r));
    }
  });

  it('rejects when its signal aborts, as a timed-out call must', async () => {
    await expect(createHttpFetch()(`${base}/slow`, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
  });

  it('rejects when nothing listens', async () => {
    await expect(createHttpFetch()('http://127.0.0.1:1/')).rejects.toThrow();
  });
});
