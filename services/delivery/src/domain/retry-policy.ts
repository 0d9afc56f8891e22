/** When to try again: attempts in all, and the exponential base and cap of the waits between them. */
export type RetrySchedule = { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };

/** Eight attempts over about six hours: waits drawn from 0..1 min, 0..2 min, … capped at 0..3 h. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { maxAttempts: 8, baseDelayMs: 60_000, maxDelayMs: 3 * 3600_000 };

/**
 * The wait after failed attempt `attempt` (1-based): full jitter, a uniform draw from 0 to the exponential
 * ceiling, so many deliveries that failed together (a receiver's outage) do not return together. A
 * Retry-After from the far side wins when it asks for longer; it is never cut short by the jitter.
 */
export function nextDelayMs(schedule: RetrySchedule, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
}

/** `8,60s,3h` (attempts, base, cap) as a schedule; units ms, s, m, h. */
export function parseRetrySchedule(text: string): RetrySchedule {
  const [attempts, base, cap] = text.split(',').map((s) => s.trim());
  const duration = (s: string | undefined) => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(s ?? '');
    if (!m) throw new Error(`"${s}" is not a duration such as 500ms, 30s, 5m or 3h`);
    return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  };
  const maxAttempts = Number(attempts);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error('the attempt count must be a positive integer');
  const schedule = { maxAttempts, baseDelayMs: duration(base), maxDelayMs: duration(cap) };
  if (schedule.maxDelayMs < schedule.baseDelayMs) throw new Error('the cap must not be below the base delay');
  return schedule;
}
