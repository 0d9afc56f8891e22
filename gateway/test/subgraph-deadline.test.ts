import { randomBytes } from 'node:crypto';
import { Agent, createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch, createInternalTokens, createLogger } from '@rowline/kit';
import { createGateway, loadSupergraph, type Gateway } from '../src/index.js';
import { withDeadline } from '../src/data-source.js';

/** A subgraph that takes every request and answers none (a hung process, a lock that is never released). */
let hung: Server;
let hungUrl: string;
const held: ServerResponse[] = [];

beforeAll(async () => {
  hung = createServer((_req, res) => { held.push(res); });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of held) res.destroy();
  hung.closeAllConnections();
  await new Promise((r) => hung.close(r));
});

describe('a subgraph fetch\'s deadline', () => {
  it('fails a fetch the subgraph does not answer in time, saying which service and how long', async () => {
    const fetch = withDeadline(createHttpFetch(), 'executions', 200);
    const started = performance.now();
    await expect(fetch(`${hungUrl}/graphql`, { method: 'POST', body: '{}' })).rejects.toThrow('The executions service did not answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('leaves a fetch answered in time as it was, and keeps the caller\'s own abort', async () => {
    const quick = createServer((_req, res) => res.end('{"data":{"ok":true}}'));
    await new Promise<void>((r) => quick.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(quick.address() as AddressInfo).port}/graphql`;
      const fetch = withDeadline(createHttpFetch(), 'executions', 200);
      expect(await (await fetch(url, { method: 'POST', body: '{}' })).json()).toEqual({ data: { ok: true } });
      const caller = new AbortController();
      const pending = withDeadline(createHttpFetch(), 'executions', 60_000)(`${hungUrl}/graphql`, { method: 'POST', body: '{}', signal: caller.signal });
      caller.abort(new Error('the client went away'));
      await expect(pending).rejects.toThrow('the client went away');
    } finally {
      await new Promise((r) => quick.close(r));
    }
  });

  describe('through the gateway', () => {
    let gateway: Gateway;
    let url: string;
    beforeAll(async () => {
      gateway = await createGateway({
        logger: createLogger({ service: 'gateway-test', level: 'silent' }),
        tokens: createInternalTokens(randomBytes(32).toString('hex')),
        supergraphSdl: await loadSupergraph(),
        urls: { auth: hungUrl, workflows: hungUrl, executions: hungUrl, files: hungUrl, delivery: hungUrl },
        jwt: { issuer: 'rowline-auth', audience: 'rowline-api' },
        subgraphTimeoutMs: 300,
      });
      url = `http://127.0.0.1:${await gateway.listen(0)}/graphql`;
    });
    afterAll(async () => { await gateway?.close(); });

    it('answers the client with an error once a subgraph is past its deadline, instead of holding the request', async () => {
      const started = performance.now();
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ workflows(first: 1) { edges { node { id } } } }' }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await res.json()) as { data?: unknown; errors?: Array<{ message: string }> };
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
      // And the gateway goes on serving.
      const health = await fetch(url.replace('/graphql', '/healthz'));
      expect(health.status).toBe(200);
    });
  });

  it('lets the gateway stop soon after a request that was in flight is answered, its keep-alive connection with it', async () => {
    const gateway = await createGateway({
      logger: createLogger({ service: 'gateway-test', level: 'silent' }),
      tokens: createInternalTokens(randomBytes(32).toString('hex')),
      supergraphSdl: await loadSupergraph(),
      urls: { auth: hungUrl, workflows: hungUrl, executions: hungUrl, files: hungUrl, delivery: hungUrl },
      jwt: { issuer: 'rowline-auth', audience: 'rowline-api' },
      subgraphTimeoutMs: 1_000,
    });
    const port = await gateway.listen(0);
    const agent = new Agent({ keepAlive: true });
    try {
      // In flight when the stop begins (its subgraph answers only at the deadline), then idle on a kept-alive connection.
      const answered = new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ query: '{ workflows(first: 1) { edges { node { id } } } }' }));
      });
      await new Promise((r) => setTimeout(r, 200));
      const stopping = performance.now();
      await gateway.close();
      expect(await answered).toBeGreaterThan(0);
      // Keep-alive would have held it 65 s; the stop deadline of `npm start` is 15 s.
      expect(performance.now() - stopping).toBeLessThan(10_000);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
