/** Where a key stands in its current window, as reported in every response's `extensions.cost`. */
export type BudgetState = { limit: number; remaining: number; resetAt: Date };
export type Charge = ({ ok: true } | { ok: false }) & BudgetState;

/**
 * A point budget per key and fixed window (by default a minute): a request is admitted when its whole
 * cost fits in what is left, and the window starts over at `resetAt`. In memory, per gateway instance: with
 * several instances a key gets the budget on each (the limit is then per instance, as documented).
 */
export function createBudgets(opts: { points: number; windowMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; spent: number }>();

  function windowOf(key: string) {
    const t = now();
    let w = windows.get(key);
    if (!w || t >= w.start + opts.windowMs) {
      w = { start: t, spent: 0 };
      windows.set(key, w);
      // Forget windows that ended, so the map holds only keys active in the last window.
      if (windows.size > 1000) for (const [k, v] of windows) if (t >= v.start + opts.windowMs) windows.delete(k);
    }
    return w;
  }

  return {
    /** Spends `cost` points of `key`'s window if they fit; a refused request spends nothing. */
    charge(key: string, cost: number): Charge {
      const w = windowOf(key);
      const fits = w.spent + cost <= opts.points;
      if (fits) w.spent += cost;
      return { ok: fits, limit: opts.points, remaining: opts.points - w.spent, resetAt: new Date(w.start + opts.windowMs) };
    },
  };
}
export type Budgets = ReturnType<typeof createBudgets>;
