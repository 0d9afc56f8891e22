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

  it('still forwards signed links to the files service', async () => {
    const res = await rawGet('/files/download/not-a-valid-link');
    expect(res.status).not.toBe(404);
    expect(res.status).toBeLessThan(500);
  });
});
