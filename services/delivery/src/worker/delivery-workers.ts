import type { Logger } from '@rowline/kit';
import type { LedgerStore } from '../store/ledger-store.js';
import { attemptDelivery, type AttemptDeps } from './deliver-one.js';

export type DeliveryWorkerOptions = {
  /** Workers side by side in this process; each carries out one delivery at a time. Default 2. */
  concurrency?: number;
  /** How often an idle worker looks for due retries when nothing woke it. Default 1 s. */
  pollMs?: number;
  /** How long a claim lasts before another worker may take the delivery over. Default 10 min. */
  leaseMs?: number;
};

/**
 * Loops that claim due deliveries and carry them out. They meet only through the ledger (FOR UPDATE SKIP
 * LOCKED), so any number of processes may run them. `nudge` wakes idle loops when new work was recorded.
 */
export function createDeliveryWorkers(deps: AttemptDeps & { ledger: LedgerStore; logger: Logger; onLedgerChange?: () => void }, opts: DeliveryWorkerOptions = {}) {
  const concurrency = opts.concurrency ?? 2;
  const pollMs = opts.pollMs ?? 1000;
  const leaseMs = opts.leaseMs ?? 600_000;
  let stopped = true;
  let loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();

  const idle = () => new Promise<void>((resolve) => {
    const wake = () => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
    const timer = setTimeout(wake, pollMs);
    sleepers.add(wake);
  });

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        const [row] = await deps.ledger.claimDue(1, leaseMs);
        if (!row) { await idle(); continue; }
        await attemptDelivery(deps, row);
        deps.onLedgerChange?.();
      } catch (err) {
        deps.logger.error({ err }, 'delivery worker failed; pausing before the next claim');
        await idle();
      }
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loops = Array.from({ length: concurrency }, () => loop());
    },
    nudge() { for (const wake of [...sleepers]) wake(); },
    /** Lets attempts in flight finish and record themselves, then returns. */
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.all(loops);
    },
  };
}
export type DeliveryWorkers = ReturnType<typeof createDeliveryWorkers>;
