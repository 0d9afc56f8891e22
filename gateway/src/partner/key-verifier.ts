import { createHash } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { AppError, INTERNAL_TOKEN_HEADER, isWellFormedApiKey, type InternalTokens, type Logger, type Principal } from '@rowline/kit';

/** Auth's internal route that checks a key (see services/auth README). */
export const API_KEY_VERIFY_PATH = '/internal/api-keys/verify';
/** Auth's internal route that adds served requests and cost points to keys' rows. */
export const API_KEY_USAGE_PATH = '/internal/api-keys/usage';
const MAX_CACHED_KEYS = 10_000;
/** Keys per usage report (auth's limit). */
const USAGE_BATCH = 500;

type Verified = { id: string; tenantId: string; scopes: string[]; expiresAt: string | null };
type Entry = {
  principal: Principal | null;
  /** When this answer must be asked again: the cache lifetime, or the key's own expiry if sooner. */
  until: number;
};
type Usage = { id: string; tenantId: string; requests: number; points: number };

const invalidKey = () => new AppError('UNAUTHENTICATED', 'Invalid API key');

/** What a client that sent a user's access token here does instead, in fixed words (`extensions.hint`; docs quote it). */
export const USER_TOKEN_HINT =
  'This is a user access token (a JWT): /partner/graphql takes API keys (create one with the createApiKey mutation on /graphql); send user access tokens to /graphql';

/** Three base64url parts whose first is a JOSE header: a user's access token (or another JWT), never an API key. */
function looksLikeJwt(key: string): boolean {
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(key)) return false;
  try {
    return typeof decodeProtectedHeader(key).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * Turns a partner's API key into the principal the subgraphs see. A malformed key (prefix, length,
 * alphabet, checksum) is refused here, before any call. A well-formed one is checked by auth's internal
 * route and the answer, good or bad, is cached for `cacheMs` (never past the key's expiry): a revoked
 * key stops working within that lifetime.
 *
 * Usage (requests and cost points per key) is reported to auth on its own, `usageFlushMs` (default 5 s)
 * after the first request not yet reported, whether or not the key is used again, and by `close()` when
 * the gateway stops: so what a key served is on its row within seconds, revoked keys included (auth
 * counts usage on revoked and expired keys). A report auth does not take is kept and sent with the next.
 */
export function createApiKeyVerifier(opts: {
  authUrl: string; tokens: InternalTokens; cacheMs: number; timeoutMs?: number; usageFlushMs?: number; logger?: Logger;
}) {
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry>>();
  const url = new URL(API_KEY_VERIFY_PATH, opts.authUrl).href;
  const usageUrl = new URL(API_KEY_USAGE_PATH, opts.authUrl).href;
  const flushMs = opts.usageFlushMs ?? 5000;
  const stats = { remoteChecks: 0, refusedMalformed: 0, usageReports: 0 };
  /** Usage not yet reported, by key id. */
  let pending = new Map<string, Usage>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const post = async (to: string, body: unknown) => fetch(to, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await opts.tokens.sign(null, 'auth') },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });

  async function check(key: string): Promise<Entry> {
    stats.remoteChecks++;
    const res = await post(url, { key });
    const now = Date.now();
    if (res.status === 401) {
      await res.body?.cancel();
      return { principal: null, until: now + opts.cacheMs };
    }
    if (!res.ok) throw new AppError('UNAVAILABLE', `auth answered ${res.status} to an API key check`);
    const v = (await res.json()) as Verified;
    const expiry = v.expiresAt ? Date.parse(v.expiresAt) : Infinity;
    return {
      principal: { kind: 'api_key', tenantId: v.tenantId, subject: v.id, role: 'VIEWER', scopes: v.scopes },
      until: Math.min(now + opts.cacheMs, expiry),
    };
  }

  async function entryFor(key: string): Promise<Entry> {
    const hash = createHash('sha256').update(key).digest('hex');
    const cached = cache.get(hash);
    if (cached && cached.until > Date.now()) return cached;
    const waiting = inFlight.get(hash);
    if (waiting) return waiting;
    const promise = check(key).then((entry) => {
      cache.delete(hash);
      if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
      cache.set(hash, entry);
      return entry;
    }).finally(() => inFlight.delete(hash));
    inFlight.set(hash, promise);
    return promise;
  }

  function add(into: Map<string, Usage>, u: Usage) {
    const had = into.get(u.id);
    if (had) { had.requests += u.requests; had.points += u.points; } else into.set(u.id, { ...u });
  }

  function schedule() {
    if (timer || closed || !pending.size) return;
    timer = setTimeout(() => { timer = undefined; void flush(); }, flushMs);
    // A report due must not keep a process alive that has nothing else to do; close() sends it anyway.
    timer.unref();
  }

  /** Sends the usage not yet reported; what auth does not take stays pending for the next report. */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      const batch = [...pending.values()];
      pending = new Map();
      for (let i = 0; i < batch.length; i += USAGE_BATCH) {
        const part = batch.slice(i, i + USAGE_BATCH);
        try {
          const res = await post(usageUrl, { usage: part });
          await res.body?.cancel();
          if (!res.ok) throw new Error(`auth answered ${res.status}`);
          stats.usageReports++;
        } catch (err) {
          for (const u of part) add(pending, u);
          opts.logger?.warn({ err, keys: part.length }, 'API key usage report failed; kept for the next one');
        }
      }
    })().finally(() => { flushing = undefined; schedule(); });
    return flushing;
  }

  return {
    stats,
    /** The key's principal, or UNAUTHENTICATED. */
    async verify(key: string): Promise<{ principal: Principal; recordUsage: (points: number) => void }> {
      if (!isWellFormedApiKey(key)) {
        stats.refusedMalformed++;
        // The same code and message as any other bad key; only the hint says where the token belongs.
        throw looksLikeJwt(key) ? new AppError('UNAUTHENTICATED', 'Invalid API key', { hint: USER_TOKEN_HINT }) : invalidKey();
      }
      const { principal } = await entryFor(key);
      if (!principal) throw invalidKey();
      return {
        principal,
        recordUsage: (points) => {
          add(pending, { id: principal.subject, tenantId: principal.tenantId, requests: 1, points });
          schedule();
        },
      };
    },
    /** Reports the usage not yet reported (one last try); called when the gateway stops. */
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await flushing;
      if (pending.size) await flush();
      if (pending.size) opts.logger?.error({ keys: pending.size }, 'API key usage could not be reported before stopping');
    },
  };
}
export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>;
