import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { LookupFunction } from 'node:net';
import type { Resolve } from './connect-guard.js';
import { TransportError } from './errors.js';
import type { OpenDestination, Shipment, Transport } from './types.js';

const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. A secret written as
 * `whsec_<base64>` (the scheme's own format) keys the HMAC with the decoded bytes; any other secret with its
 * UTF-8 bytes. Rotating the secret is an updateDestination: the next attempt signs with the new one.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

const MAX_AGENTS = 200;

export function createWebhookTransport(deps: { resolve: Resolve; timeoutMs: number; extraCa?: string }): Transport {
  const ca = deps.extraCa ? [...rootCertificates, deps.extraCa] : undefined;
  // Keep-alive agents, one per (origin, checked address): consecutive deliveries to a receiver reuse the TLS
  // connection instead of a handshake each, and a name that now resolves elsewhere gets a new agent. The
  // oldest is dropped beyond MAX_AGENTS so the cache stays bounded however many destinations there are.
  const agents = new Map<string, http.Agent>();
  function agentFor(url: URL, address: string, family: 4 | 6): http.Agent {
    const key = `${url.protocol}//${url.host}@${address}`;
    let agent = agents.get(key);
    if (!agent) {
      // Connect to the address that was checked, whatever the name resolves to by now; TLS still verifies the name.
      const lookup: LookupFunction = (_host, opts, cb) => {
        if ((opts as { all?: boolean }).all) (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
        else cb(null, address, family);
      };
      const options = { keepAlive: true, maxSockets: 8, lookup, timeout: deps.timeoutMs };
      agent = url.protocol === 'https:' ? new https.Agent({ ...options, ca }) : new http.Agent(options);
      agents.set(key, agent);
      if (agents.size > MAX_AGENTS) {
        const [oldest, old] = agents.entries().next().value!;
        agents.delete(oldest);
        old.destroy();
      }
    }
    return agent;
  }

  async function post(destination: OpenDestination, body: string, headers: Record<string, string>) {
    const url = new URL(String(destination.config.url));
    const target = await deps.resolve(url.hostname);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = client.request(url, {
        method: 'POST', agent: agentFor(url, target.address, target.family), timeout: deps.timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Rowline-Webhooks/1', ...headers },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
        // The receiver's answer broke off (a reset, an aborted response): the destination's, as a refused connection is.
        res.on('error', (err: Error) => reject(new TransportError('CONNECT', `${url.host}: ${err.message}`)));
      });
      req.on('timeout', () => req.destroy(new TransportError('TIMEOUT', `${url.host} did not answer within ${deps.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof TransportError) { reject(err); return; }
        const tls = /CERT|SSL|TLS|self.signed|altnames/i.test(`${err.code} ${err.message}`);
        reject(new TransportError(tls ? 'TLS' : 'CONNECT', `${url.host}: ${err.message}`));
      });
      req.end(body);
    });
  }

  function judge(host: string, reply: { status: number; retryAfter: string | undefined }) {
    const { status } = reply;
    if (status >= 200 && status < 300) return;
    if (status === 410) throw new TransportError('HTTP', `${host} answered 410 Gone; the destination is disabled`, { permanent: true, disableDestination: true });
    // Redirects are not followed: a 3xx could point anywhere, including inside the network.
    if (status >= 300 && status < 400) throw new TransportError('HTTP', `${host} answered ${status} (redirects are not followed)`);
    throw new TransportError('HTTP', `${host} answered ${status}`, { retryAfterMs: parseRetryAfter(reply.retryAfter) });
  }

  function signed(destination: OpenDestination, id: string, body: string): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestamp) };
    if (destination.secrets.secret) headers['webhook-signature'] = signWebhook(destination.secrets.secret, id, timestamp, body);
    return headers;
  }

  return {
    async send(destination, shipment: Shipment) {
      const body = JSON.stringify({
        type: 'artifact.delivered', executionId: shipment.executionId, workflowId: shipment.workflowId,
        artifact: { ...shipment.artifact, fileName: shipment.fileName },
      });
      judge(new URL(String(destination.config.url)).host, await post(destination, body, signed(destination, shipment.idempotencyKey, body)));
    },
    async probe(destination) {
      const body = JSON.stringify({ type: 'destination.test', destinationId: destination.id });
      judge(new URL(String(destination.config.url)).host, await post(destination, body, signed(destination, `test-${Date.now()}`, body)));
    },
  };
}
