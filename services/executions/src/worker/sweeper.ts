import type { Logger } from '@rowline/kit';
import { endedEvents, statusEvent } from '../events/messages.js';
import type { RunStore } from '../store/run-store.js';
import type { RunObserver } from './run-metrics.js';

/**
 * Recovery that no message triggers, run every `intervalMs` by each worker process (every move is
 * conditional, so two sweepers at once do no harm):
 * - a live run past its deadline ends TIMED_OUT (its worker, if alive, sees that and stops);
 * - a RUNNING run whose lease expired (its worker died or hangs) goes back to QUEUED with a new
 *   ExecutionRequested, so another worker redoes it; after `maxAttempts` attempts it ends FAILED
 *   (`WORKER_LOST`) instead, so a run that crashes its worker every time cannot loop;
 * - tenants with free slots get their oldest QUEUED runs requested again (the backstop of the release path);
 * - runs still PENDING a minute after they were accepted are requested again (their request was missed).
 */
export const STALE_PENDING_MS = 60_000;

export function createSweeper(deps: { store: RunStore; logger: Logger; maxAttempts: number; intervalMs: number; onOutbox: () => void; observer?: RunObserver }) {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  async function sweep(): Promise<{ timedOut: number; requeued: number; lost: number }> {
    const counts = { timedOut: 0, requeued: 0, lost: 0 };
    const { late, orphaned } = await deps.store.overdue();
    for (const run of late) {
      const error = { code: 'TIMED_OUT', message: 'The run did not finish within its timeout', step: null };
      if (await deps.store.transition(run, null, { status: 'TIMED_OUT', from: ['QUEUED', 'RUNNING'], phase: null, error, events: endedEvents('TIMED_OUT', error) })) {
        counts.timedOut++;
        deps.observer?.ended('TIMED_OUT', null);
      }
    }
    for (const run of orphaned) {
      if (run.attempt >= deps.maxAttempts) {
        const error = { code: 'WORKER_LOST', message: `The run's worker stopped during each of its ${run.attempt} attempts`, step: null };
        if (await deps.store.transition(run, null, { status: 'FAILED', onlyIfLeaseExpired: true, phase: null, error, events: endedEvents('FAILED', error) })) {
          counts.lost++;
          deps.observer?.ended('FAILED', null);
        }
      } else if (await deps.store.transition(run, null, {
        status: 'QUEUED', onlyIfLeaseExpired: true, phase: null, events: [statusEvent('QUEUED', null)], extra: [run.request],
        logs: [{ level: 'warn', message: `Attempt ${run.attempt} lost its worker; the run is queued again` }],
      })) counts.requeued++;
    }
    await deps.store.promoteAll();
    await deps.store.rerequestStale(STALE_PENDING_MS);
    deps.onOutbox();
    if (counts.timedOut || counts.requeued || counts.lost) deps.logger.warn(counts, 'sweeper moved runs');
    return counts;
  }

  const tick = () => {
    current = sweep().then(() => undefined, (err) => deps.logger.error({ err }, 'sweep failed; will retry'))
      .finally(() => { if (timer) timer = setTimeout(tick, deps.intervalMs); });
  };

  return {
    sweep,
    start() { timer = setTimeout(tick, deps.intervalMs); },
    async stop() { clearTimeout(timer); timer = undefined; await current; },
  };
}
