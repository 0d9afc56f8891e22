import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export type HttpFetchInit = { method?: string; headers?: Record<string, string>; body?: string | Buffer | null; signal?: AbortSignal };

/** The part of a fetch Response that service-to-service callers (and Apollo's gateway) read. */
export type HttpFetchResponse = {
  readonly url: string; readonly status: number; readonly ok: boolean; readonly statusText: string;
  readonly redirected: boolean; readonly bodyUsed: boolean; readonly headers: Headers;
  text(): Promise<string>; json(): Promise<any>; arrayBuffer(): Promise<ArrayBuffer>; clone(): HttpFetchResponse;
};

/**
 * A fetch for calls between Rowline's own processes (the gateway to its subgraphs, a service to another's
 * /internal routes): node:http on keep-alive sockets, the body read whole. Node's fetch (undici) and Apollo's
 * default make-fetch-happen cost two to three times its CPU per call on these small JSON requests. No
 * redirects, no cookies, no cache: none of them is wanted between services.
 *
 * An idle connection is closed by this side after `idleMs` (30 s), or a second before the keep-alive the
 * server announces (`Keep-Alive: timeout=N`) when that is sooner: before the server closes it. A call sent on
 * a connection at the moment the server closes it fails with ECONNRESET (under load a server's timers run
 * late and widen that moment), and Node's agent heeds the server's announcement only when it has a
 * timeout of its own. Rowline's servers keep connections 65 s.
 */
export function createHttpFetch(opts: { idleMs?: number } = {}) {
  const timeout = opts.idleMs ?? 30_000;
  const http = new Agent({ keepAlive: true, timeout });
  const https = new HttpsAgent({ keepAlive: true, timeout });
  return function httpFetch(url: string | URL, init: HttpFetchInit = {}): Promise<HttpFetchResponse> {
    const target = typeof url === 'string' ? new URL(url) : url;
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : request)(target, {
        method: init.method ?? 'GET', headers: init.headers, agent: secure ? https : http, signal: init.signal,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve(responseOf(target.href, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks))));
      });
      req.on('error', reject);
      req.end(init.body ?? undefined);
    });
  };
}
export type HttpFetch = ReturnType<typeof createHttpFetch>;

function responseOf(url: string, status: number, statusText: string, raw: IncomingHttpHeaders, body: Buffer): HttpFetchResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  let used = false;
  const take = () => { used = true; return body; };
  return {
    url, status, statusText, headers, ok: status >= 200 && status < 300, redirected: false,
    get bodyUsed() { return used; },
    text: async () => take().toString('utf8'),
    json: async () => JSON.parse(take().toString('utf8')),
    arrayBuffer: async () => { const b = take(); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer; },
    clone: () => responseOf(url, status, statusText, raw, body),
  };
}
