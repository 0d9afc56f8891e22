export type Charge = { allowed: boolean; remaining: number; resetAt: Date };

/**
 * A fixed one-minute window of cost per key (a tenant, or an anonymous client's address), in this
 * process: with N gateway replicas a tenant gets up to N budgets, which the operations guide states.
 * An operation that does not fit is refused whole and spends nothing.
 */
export function createCostBudget(perMinute: number, now: () => number = Date.now) {
  const windowMs = 60_000;
  let windowStart = Math.floor(now() / windowMs) * windowMs;
  let spent = new Map<string, number>();

  return {
    charge(key: string, cost: number): Charge {
      const t = now();
      if (t >= windowStart + windowMs) {
        // A new window forgets every key at once: memory stays bounded by one minute of distinct callers.
        windowStart = Math.floor(t / windowMs) * windowMs;
        spent = new Map();
      }
      const used = spent.get(key) ?? 0;
      const resetAt = new Date(windowStart + windowMs);
      if (used + cost > perMinute) return { allowed: false, remaining: perMinute - used, resetAt };
      spent.set(key, used + cost);
      return { allowed: true, remaining: perMinute - used - cost, resetAt };
    },
  };
}
export type CostBudget = ReturnType<typeof createCostBudget>;
