import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerUnknownPaths } from '../src/fallbacks.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/graphql/assets/:file', (_req, res) => { res.send('asset'); });
  answerUnknownPaths(app, [{ path: '/healthz', what: 'liveness' }]);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

describe('the unknown-path fallback', () => {
  it.each(['/healthz', '/graphql/assets/graphiql.js'])('leaves OPTIONS %s, a real route, to Express\'s answer naming its methods', async (path) => {
    const res = await fetch(base + path, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers OPTIONS on a path no route takes with the JSON NOT_FOUND', async () => {
    const res = await fetch(`${base}/nope`, { method: 'OPTIONS' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
