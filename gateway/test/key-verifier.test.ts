import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createInternalTokens, generateApiKey } from '@rowline/kit';
import { API_KEY_USAGE_PATH, API_KEY_VERIFY_PATH, createApiKeyVerifier } from '../src/partner/key-verifier.js';

type Report = { id: string; tenantId: string; requests: number; points: number };

/** Stands in for auth's two internal routes: every key is valid; usage reports are kept, or refused while `down`. */
async function fakeAuth() {
  const reports: Report[][] = [];
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (req.url === API_KEY_VERIFY_PATH) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: KEY_ID, tenantId: TENANT, scopes: [], expiresAt: null }));
      } else if (req.url === API_KEY_USAGE_PATH && !state.down) {
        reports.push(body.usage);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(503).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, reports, state };
}

const KEY_ID = randomUUID();
const TENANT = randomUUID();
const tokens = createInternalTokens('k'.repeat(40));
const servers: Server[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

describe('the API key verifier\'s usage reports', () => {
  it('reports usage still waiting for its timer when the gateway stops', async () => {
    const auth = await fakeAuth();
    const keys = createApiKeyVerifier({ authUrl: auth.url, tokens, cacheMs: 30_000, usageFlushMs: 60_000 });
    const { recordUsage } = await keys.verify(generateApiKey());
    recordUsage(5);
    recordUsage(7);
    expect(auth.reports).toEqual([]);
    await keys.close();
    expect(auth.reports).toEqual([[{ id: KEY_ID, tenantId: TENANT, requests: 2, points: 12 }]]);
  });

  it('keeps a report auth refused and sends it, added to what came since, with the next one', async () => {
    const auth = await fakeAuth();
    const keys = createApiKeyVerifier({ authUrl: auth.url, tokens, cacheMs: 30_000, usageFlushMs: 50 });
    auth.state.down = true;
    const { recordUsage } = await keys.verify(generateApiKey());
    recordUsage(3);
    await new Promise((r) => setTimeout(r, 200));
    auth.state.down = false;
    recordUsage(4);
    await expect.poll(() => auth.reports, { timeout: 2000 }).toEqual([[{ id: KEY_ID, tenantId: TENANT, requests: 2, points: 7 }]]);
    await keys.close();
    expect(auth.reports).toHaveLength(1);
  });
});
