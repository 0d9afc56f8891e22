import { AppError } from './errors.js';
import { createHttpFetch } from './http-fetch.js';
import type { InternalTokens, Principal } from './internal-token.js';
import { INTERNAL_TOKEN_HEADER } from './server.js';

/**
 * Service-to-service calls over plain HTTP with an internal token for the callee's audience. Used where a
 * service must check another's data synchronously (a run's version and file); everything else is events.
 */
export function createInternalClient(opts: { tokens: InternalTokens; baseUrl: string; audience: string; timeoutMs?: number }) {
  const fetch = createHttpFetch();
  return async function call<T>(principal: Principal, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const token = await opts.tokens.sign(principal, opts.audience);
    const res = await fetch(new URL(path, opts.baseUrl), {
      method: init.method ?? 'GET',
      headers: { [INTERNAL_TOKEN_HEADER]: token, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : null,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const payload = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } } & T;
    if (!res.ok) {
      const code = payload.error?.code;
      if (code === 'NOT_FOUND' || code === 'BAD_USER_INPUT' || code === 'FORBIDDEN' || code === 'CONFLICT') {
        throw new AppError(code, payload.error?.message ?? code);
      }
      throw new AppError('UNAVAILABLE', `${opts.audience} answered ${res.status}`);
    }
    return payload;
  };
}
