import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export type JwksCacheOptions = {
  url: string;
  /** The least time between two fetches of the key set; unknown kids arriving sooner wait for the next one. */
  minRefetchIntervalMs?: number;
  /**
   * How long a fetched key set is trusted (default 5 minutes). Past it the next token starts a fetch of a
   * fresh copy in the background: a key auth no longer publishes (retired and past its grace, or withdrawn
   * after a leak) must stop verifying, although no unknown kid would ever make the cache fetch again.
   */
  maxAgeMs?: number;
  timeoutMs?: number;
};

export const DEFAULT_JWKS_MAX_AGE_MS = 5 * 60_000;
/** After a failed age refetch, how long until the next one (unknown kids still fetch at their own pace). */
const AGE_RETRY_MS = 10_000;

/**
 * The auth service's public keys, fetched once and again when a token names a kid the cache does not hold
 * (a rotation) or when the copy is older than `maxAgeMs` (a key withdrawn). Never from an address a token
 * names (`jku`, `x5u` are ignored).
 *
 * Refetches are rate-limited: at most one per `minRefetchIntervalMs`, and concurrent misses share one
 * fetch. A token with an unknown kid arriving inside the interval waits for the next allowed fetch rather
 * than being refused at once, so forged kids that trigger fetches cannot make a genuine rotation fail; they
 * only delay their own (refused) requests, while tokens with a known kid never wait: a copy past its age is
 * fetched again in the background, and tokens go on verifying against the copy in hand meanwhile. While
 * auth does not answer (an outage, a hang until the timeout), that copy keeps verifying, so an outage of
 * auth logs nobody out, and an age refetch is tried again only `AGE_RETRY_MS` after a failed one.
 */
export function createJwksCache(opts: JwksCacheOptions) {
  const interval = opts.minRefetchIntervalMs ?? 1000;
  let local: JWTVerifyGetKey | undefined;
  const maxAge = opts.maxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS;
  let lastFetchAt = -Infinity;
  let loadedAt = -Infinity;
  /** Counts the key sets loaded: two loads in one millisecond are still two sets. */
  let generation = 0;
  let inFlight: Promise<void> | undefined;
  let ageFailedAt = -Infinity;
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
    generation++;
  }

  function refresh(): Promise<void> {
    inFlight ??= load().finally(() => { inFlight = undefined; });
    return inFlight;
  }

  /** Starts a refetch in the background when the copy in hand is past its age (and none was tried too lately). */
  function refreshIfOld(): void {
    const now = Date.now();
    if (local && !inFlight && now > loadedAt + maxAge && now >= lastFetchAt + interval && now >= ageFailedAt + AGE_RETRY_MS) {
      void refresh().catch(() => { ageFailedAt = Date.now(); });
    }
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!local) await refresh();
    else refreshIfOld();
    try {
      return await local!(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      await refresh();
      return local!(header, token);
    }
  };
  return {
    getKey,
    /** Called for a token verified before with the set in hand: keeps the age refetch going without a key lookup. */
    refreshIfOld,
    /** Which key set is in hand: each load (a rotation, an age refetch) makes a new one. 0 before the first. */
    get generation() { return generation; },
    get fetches() { return fetches; },
  };
}
export type JwksCache = ReturnType<typeof createJwksCache>;
