import { createHash } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { AppError, INTERNAL_TOKEN_HEADER, isWellFormedApiKey, type InternalTokens, type Principal } from '@rowline/kit';

/** Auth's internal route that checks a key (see services/auth README). */
export const API_KEY_VERIFY_PATH = '/internal/api-keys/verify';
const MAX_CACHED_KEYS = 10_000;

type Verified = { id: string; tenantId: string; scopes: string[]; expiresAt: string | null };
type Entry = {
  principal: Principal | null;
  /** When this answer must be asked again: the cache lifetime, or the key's own expiry if sooner. */
  until: number;
  /** Served since the last check; reported to auth with the next one. */
  usage: { requests: number; points: number };
};

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
 * key stops working within that lifetime. Usage counted per key is sent along with the next check.
 */
export function createApiKeyVerifier(opts: { authUrl: string; tokens: InternalTokens; cacheMs: number; timeoutMs?: number }) {
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry>>();
  const url = new URL(API_KEY_VERIFY_PATH, opts.authUrl).href;
  const stats = { remoteChecks: 0, refusedMalformed: 0 };

  async function check(hash: string, key: string, usage: Entry['usage']): Promise<Entry> {
    stats.remoteChecks++;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await opts.tokens.sign(null, 'auth') },
      body: JSON.stringify({ key, usage }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    const now = Date.now();
    if (res.status === 401) {
      await res.body?.cancel();
      return { principal: null, until: now + opts.cacheMs, usage: { requests: 0, points: 0 } };
    }
    if (!res.ok) throw new AppError('UNAVAILABLE', `auth answered ${res.status} to an API key check`);
    const v = (await res.json()) as Verified;
    const expiry = v.expiresAt ? Date.parse(v.expiresAt) : Infinity;
    return {
      principal: { kind: 'api_key', tenantId: v.tenantId, subject: v.id, role: 'VIEWER', scopes: v.scopes },
      until: Math.min(now + opts.cacheMs, expiry),
      usage: { requests: 0, points: 0 },
    };
  }

  async function entryFor(key: string): Promise<Entry> {
    const hash = createHash('sha256').update(key).digest('hex');
    const cached = cache.get(hash);
    if (cached && cached.until > Date.now()) return cached;
    const pending = inFlight.get(hash);
    if (pending) return pending;
    const usage = cached?.usage ?? { requests: 0, points: 0 };
    const promise = check(hash, key, usage).then((entry) => {
      cache.delete(hash);
      if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
      cache.set(hash, entry);
      return entry;
    }).finally(() => inFlight.delete(hash));
    inFlight.set(hash, promise);
    return promise;
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
      const entry = await entryFor(key);
      if (!entry.principal) throw invalidKey();
      return {
        principal: entry.principal,
        recordUsage: (points) => { entry.usage.requests += 1; entry.usage.points += points; },
      };
    },
  };
}
export type ApiKeyVerifier = ReturnType<typeof createApiKeyVerifier>;
