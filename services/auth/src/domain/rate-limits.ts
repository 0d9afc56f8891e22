import { AppError, type EntityManager } from '@rowline/kit';

export type Limit = { max: number; windowSeconds: number };
export type LoginLimits = { perAccount: Limit; perAddress: Limit; signUpPerAddress: Limit };

/**
 * Defaults: 5 failed log-ins per email per 15 minutes stops online guessing of one account; 50 failures per
 * address per 15 minutes stops spraying many accounts from one place without locking out an office behind
 * one NAT; 20 sign-ups per address per hour slows the harvesting of which emails already have accounts.
 */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: { max: 5, windowSeconds: 15 * 60 },
  perAddress: { max: 50, windowSeconds: 15 * 60 },
  signUpPerAddress: { max: 20, windowSeconds: 3600 },
};

/**
 * The per-address counter key, or none for a loopback address. A caller on the gateway's own host is the
 * embedded mode's local user, a test, or a benchmark, where every client shares 127.0.0.1 and one bucket would
 * throttle them all; the per-account limit still applies to them.
 */
export function addressKey(kind: string, address: string | undefined): string | undefined {
  if (!address || /^(127\.|::1$|::ffff:127\.)/.test(address)) return undefined;
  return `${kind}:address:${address}`;
}

/**
 * Fixed-window counters in Postgres (`auth.rate_limits`), not in process memory: auth runs as several
 * replicas behind the gateway, and a per-process counter would multiply every limit by the replica count
 * and forget it on each restart. One upsert per counted event is cheap next to an argon2id hash.
 */
export function createRateLimits(deps: { em: () => EntityManager }) {
  const sql = (query: string, params: unknown[]) => deps.em().getConnection().execute(query, params);

  return {
    /** Throws RATE_LIMITED (with `retryAfter` seconds) when `key` has used up `limit` in its current window. */
    async check(key: string, limit: Limit): Promise<void> {
      const [row] = await sql(
        `select count, extract(epoch from (window_start + make_interval(secs => ?) - now())) as remaining
           from auth.rate_limits where key = ?`, [limit.windowSeconds, key]) as Array<{ count: number; remaining: string }>;
      const remaining = row ? Number(row.remaining) : 0;
      if (row && remaining > 0 && row.count >= limit.max) {
        throw new AppError('RATE_LIMITED', 'Too many attempts; try again later', { retryAfter: Math.max(1, Math.ceil(remaining)) });
      }
    },
    /** Counts one event against `key`, starting a new window when the last one has ended. */
    async hit(key: string, limit: Limit): Promise<void> {
      await sql(
        `insert into auth.rate_limits (key, window_start, count) values (?, now(), 1)
         on conflict (key) do update set
           count = case when auth.rate_limits.window_start + make_interval(secs => ?) <= now() then 1 else auth.rate_limits.count + 1 end,
           window_start = case when auth.rate_limits.window_start + make_interval(secs => ?) <= now() then now() else auth.rate_limits.window_start end`,
        [key, limit.windowSeconds, limit.windowSeconds]);
    },
    async reset(key: string): Promise<void> {
      await sql('delete from auth.rate_limits where key = ?', [key]);
    },
  };
}
export type RateLimits = ReturnType<typeof createRateLimits>;
