import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/platform.js';

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(); });
afterAll(async () => { await t?.stop(); });

/** A GET with the path sent byte for byte, as a raw client can: fetch() would normalise `..` away. */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(t.platform.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

describe('the files proxy', () => {
  it.each([
    '/files/../metrics',
    '/files/../internal/files/0193a000-0000-7000-8000-00000000000a',
    '/files/download/../../graphql',
    '/files/..%2Fmetrics',
    '/files/%2e%2e/metrics',
  ])('does not let %s climb out of /files to the files service\'s other routes', async (path) => {
    const res = await rawGet(path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('# HELP');
  });

  it('takes an upload sent as curl sends one over 1 MB, with Expect: 100-continue', async () => {
    const tenant = await t.signUp('Expect');
    const bytes = Buffer.from(`id,amount\n${Array.from({ length: 150_000 }, (_, i) => `${i},${i % 97}`).join('\n')}\n`);
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    const upload = await t.post(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { token: tenant.accessToken, variables: { i: { name: 'big.csv', contentType: 'text/csv', size: bytes.length } } });
    const url = new URL(upload.data.createUpload.uploadUrl);
    // The body only once the server said 100 Continue, as curl does (it waits up to a second for it).
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'PUT',
        headers: { expect: '100-continue', 'content-type': 'text/csv', 'content-length': bytes.length } }, (r) => {
        let body = '';
        r.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: r.statusCode!, body }));
      });
      req.on('continue', () => req.end(bytes)).on('error', reject);
    });
    expect(res, res.body).toMatchObject({ status: 200 });
    expect(JSON.parse(res.body)).toMatchObject({ file: { id: upload.data.createUpload.file.id, status: 'READY', size: bytes.length } });
  });

  it('sends a download with its Content-Length, not chunked', async () => {
    const tenant = await t.signUp('Length');
    const bytes = Buffer.from(`id,amount\n${Array.from({ length: 5000 }, (_, i) => `${i},${i % 97}`).join('\n')}\n`);
    const upload = await t.post(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { token: tenant.accessToken, variables: { i: { name: 'sized.csv', contentType: 'text/csv', size: bytes.length } } });
    expect((await fetch(upload.data.createUpload.uploadUrl, { method: 'PUT', body: bytes })).status).toBe(200);
    const file = await t.post('query($id: ID!) { file(id: $id) { downloadUrl } }', { token: tenant.accessToken, variables: { id: upload.data.createUpload.file.id } });
    const url = new URL(file.data.file.downloadUrl);
    expect(url.port).toBe(new URL(t.platform.url).port);
    // A raw request, to see the headers as sent: fetch() would hide how the body was framed.
    const res = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: url.pathname, method: 'GET' }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.body.equals(bytes)).toBe(true);
  });

  it('still forwards signed links to the files service', async () => {
    const res = await rawGet('/files/download/not-a-valid-link');
    expect(res.status).not.toBe(404);
    expect(res.status).toBeLessThan(500);
  });
});

describe('the files proxy on its own', () => {
  it('drops headers only the platform may set, and forwards the rest', async () => {
    const { createServer } = await import('node:http');
    const express = (await import('express')).default;
    const { filesProxy } = await import('../src/files-proxy.js');
    let seen: Record<string, unknown> = {};
    const upstream = createServer((req, res) => { seen = req.headers; res.end('ok'); });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const app = express();
    app.use('/files', filesProxy(`http://127.0.0.1:${(upstream.address() as { port: number }).port}`));
    const front = app.listen(0, '127.0.0.1');
    await new Promise((r) => front.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(front.address() as { port: number }).port}/files/download/x`, {
        headers: { 'x-rowline-internal-token': 'forged', 'x-rowline-client-address': '10.0.0.1', authorization: 'Bearer t', 'x-request-id': 'r1' },
      });
      expect(res.status).toBe(200);
      expect(seen).not.toHaveProperty('x-rowline-internal-token');
      expect(seen).not.toHaveProperty('x-rowline-client-address');
      expect(seen).not.toHaveProperty('authorization');
      expect(seen['x-request-id']).toBe('r1');
    } finally {
      front.close();
      upstream.close();
    }
  });
});
