import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesProxy } from '../src/files-proxy.js';

/** A files service stand-in whose download routes misbehave as a real one can: dying mid-body. */
let upstream: Server;
let gateway: Server;
const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/files/download/cut') {
      // Promises 100,000 bytes, sends 10,000, then the connection drops (a crash, a storage read that failed).
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': '100000' });
      res.write(Buffer.alloc(10_000, 'a'), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (req.url === '/files/download/gzipped') {
      const body = gzipSync('a,b\n1,2\n');
      res.writeHead(200, { 'content-type': 'text/csv', 'content-encoding': 'gzip', 'content-length': String(body.length) }).end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  });
  const app = express();
  app.use('/files', filesProxy(`http://127.0.0.1:${await listen(upstream)}`));
  gateway = createServer(app);
  await listen(gateway);
});
afterAll(async () => {
  gateway.closeAllConnections(); upstream.closeAllConnections();
  await Promise.all([new Promise((r) => gateway.close(r)), new Promise((r) => upstream.close(r))]);
});

function rawGet(path: string): Promise<{ status: number; received: number; outcome: string }> {
  const { port } = gateway.address() as AddressInfo;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 3000 }, (res) => {
      let received = 0;
      const done = (outcome: string) => resolve({ status: res.statusCode!, received, outcome });
      res.on('data', (c: Buffer) => { received += c.length; }).on('end', () => done('end')).on('error', () => done('cut')).on('aborted', () => done('cut'));
    });
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, received: 0, outcome: 'hung' }); }).on('error', () => undefined).end();
  });
}

describe('the files proxy, when the files service fails mid-body', () => {
  it('cuts the client\'s download short, so a partial file is never taken for a whole one, and keeps serving', async () => {
    const res = await rawGet('/files/download/cut');
    expect(res).toMatchObject({ status: 200, outcome: 'cut' });
    expect(res.received).toBeLessThan(100_000);
    // The gateway is still up, answering the next request.
    expect(await rawGet('/files/download/fine')).toMatchObject({ status: 200, received: 2, outcome: 'end' });
  });
});

describe('the files proxy, given an encoded body', () => {
  it('does not label the bytes it sends with the encoding fetch already undid', async () => {
    const { port } = gateway.address() as AddressInfo;
    const res = await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/files/download/gzipped', method: 'GET' }, (r) => {
        let body = '';
        r.setEncoding('latin1').on('data', (c: string) => { body += c; }).on('end', () => resolve({ headers: r.headers, body }));
      }).on('error', reject).end();
    });
    expect(res.body).toBe('a,b\n1,2\n');
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});
