import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export type JwksCacheOptions = {
  url: string;
  /** The least time between two fetches of the key set; unknown kids arriving sooner wait for the next one. */
  minRefetchIntervalMs?: number;
  /**
   * How long a fetched key set is trusted (default 5 minutes). Past it the next token waits for a fresh
   * copy: a key auth no longer publishes (retired and past its grace, or withdrawn after a leak) must stop
   * verifying, although no unknown kid would ever make the cache fetch again.
   */
  maxAgeMs?: number;
  timeoutMs?: number;
};

export const DEFAULT_JWKS_MAX_AGE_MS = 5 * 60_000;

/**
 * The auth service's public keys, fetched once and again when a token names a kid the cache does not hold
 * (a rotation) or when the copy is older than `maxAgeMs` (a key withdrawn). Never from an address a token
 * names (`jku`, `x5u` are ignored).
 *
 * Refetches are rate-limited: at most one per `minRefetchIntervalMs`, and concurrent misses share one
 * fetch. A token with an unknown kid arriving inside the interval waits for the next allowed fetch rather
 * than being refused at once, so forged kids that trigger fetches cannot make a genuine rotation fail; they
 * only delay their own (refused) requests, while tokens with a known kid never wait.
 */
export function createJwksCache(opts: JwksCacheOptions) {
  const interval = opts.minRefetchIntervalMs ?? 1000;
  let local: JWTVerifyGetKey | undefined;
  const maxAge = opts.maxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS;
  let lastFetchAt = -Infinity;
  let loadedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let fetches = 0;

  async function load(): Promise<void> {
    const wait = lastFetchAt + interval - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    lastFetchAt = Date.now();
    fetches++;
    const res = await fetch(opts.url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5000), redirect: 'error' });
    if (!res.ok) throw new joseErrors.JOSEError(`JWKS answered HTTP ${res.status}`);
    local = createLocalJWKSet((await res.json()) as JSONWebKeySet);
    loadedAt = Date.now();
  }

  function refresh(): Promise<void> {
    inFlight ??= load().finally(() => { inFlight = undefined; });
    return inFlight;
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!local) await refresh();
    else if (Date.now() - loadedAt > maxAge && Date.now() - lastFetchAt >= interval) {
      // While auth cannot answer, the copy in hand keeps verifying (one try per interval): an outage of
      // auth must not log everyone out.
      await refresh().catch(() => undefined);
    }
    try {
      return await local!(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      await refresh();
      return local!(header, token);
    }
  };
  return { getKey, get fetches() { return fetches; } };
}
export type JwksCache = ReturnType<typeof createJwksCache>;
