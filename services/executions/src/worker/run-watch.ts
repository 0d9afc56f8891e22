import type { Logger } from '@rowline/kit';
import type { RunStore } from '../store/run-store.js';
import type { Execution } from '../store/entities.js';

export type RunControl = {
  signal: AbortSignal;
  /** Why the run was stopped: 'timeout', 'lease lost', or the status someone else moved it to (CANCELLED...). */
  reason(): string | undefined;
  /**
   * Whether the run is still this worker's, before an effect others can see. Free while the lease was renewed
   * (or claimed) less than half a lease ago, counted from the request's sending (the heartbeat renews it every
   * third); otherwise, as after the process was stopped (SIGSTOP, a long GC) past its lease, even while its
   * claim was in flight, it renews the lease now, and a lost one stops the run.
   */
  owned(): Promise<boolean>;
  done(): void;
};

/**
 * Watches the runs a worker is running. Cancellation is written by the API to Postgres, so the worker learns
 * of it by asking Postgres: one query every `intervalMs` for all its runs (not one per run), which stops a
 * cancelled run within that interval plus the engine's next batch boundary. Consuming executions.events
 * instead would add a consumer group per worker and still need this query after a restart. The same pass
 * sees runs timed out or re-queued by the sweeper. Each run also gets its lease heartbeat and its deadline.
 */
export function createRunWatch(deps: { store: RunStore; owner: string; intervalMs: number; logger: Logger }) {
  const active = new Map<string, { abort(reason: string): void }>();
  let polling = false;
  const poll = setInterval(() => {
    if (polling || !active.size) return;
    polling = true;
    deps.store.lost([...active.keys()], deps.owner)
      .then((rows) => { for (const r of rows) active.get(r.id)?.abort(r.status === 'RUNNING' ? 'lease lost' : r.status); })
      .catch((err) => deps.logger.warn({ err }, 'cancel check failed'))
      .finally(() => { polling = false; });
  }, deps.intervalMs);
  poll.unref();

  return {
    /** `claimSent`: when the claim that took the run was sent (`performance.now()`). */
    add(run: Execution, leaseMs: number, claimSent: number): RunControl {
      const controller = new AbortController();
      let why: string | undefined;
      const abort = (reason: string) => { if (!why) { why = reason; controller.abort(new Error(reason)); } };
      // When the lease was last known good: the claim's or a renewal's sending (never later than the truth).
      // A monotonic clock: a wall clock set back would stretch the lease.
      let renewedAt = claimSent;
      const renew = async () => {
        const sentAt = performance.now();
        const owned = await deps.store.heartbeat(run.id, deps.owner, leaseMs);
        if (owned) renewedAt = Math.max(renewedAt, sentAt);
        else abort('lease lost');
        return owned;
      };
      const heartbeat = setInterval(() => {
        renew().catch((err) => deps.logger.warn({ err, executionId: run.id }, 'heartbeat failed'));
      }, Math.max(leaseMs / 3, 100));
      const started = run.startedAt?.getTime() ?? Date.now();
      const deadline = setTimeout(() => abort('timeout'), Math.max(started + run.timeoutMs - Date.now(), 0));
      active.set(run.id, { abort });
      return {
        signal: controller.signal,
        reason: () => why,
        async owned() {
          if (why) return false;
          return performance.now() - renewedAt < leaseMs / 2 || renew();
        },
        done() {
          clearInterval(heartbeat);
          clearTimeout(deadline);
          active.delete(run.id);
        },
      };
    },
    stop() { clearInterval(poll); },
  };
}
