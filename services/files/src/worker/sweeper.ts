import { LockMode } from '@mikro-orm/core';
import type { Storage } from '@rowline/storage';
import { systemEm, TENANT_FILTER, type Logger, type Orm } from '@rowline/kit';
import { FileEntity } from '../store/entities.js';

export type Sweeper = ReturnType<typeof createSweeper>;

/** How often the sweeper looks for incomplete writes, and how long one must lie untouched to be swept. */
const INCOMPLETE_EVERY_MS = 3_600_000;
const INCOMPLETE_AFTER_MS = 3_600_000;

/**
 * Ends retention: every `intervalMs`, files whose `expires_at` has passed (READY inputs and artifacts, and
 * UPLOADING files whose upload window closed with no upload in progress) lose their bytes and become
 * EXPIRED; the row stays, so people see what happened to a file. Bytes go first, then the row changes: a
 * crash in between leaves a row that is swept again, never bytes no row points at. Several instances may
 * sweep at once: each row is claimed with SKIP LOCKED.
 */
export function createSweeper(deps: { orm: Orm; storage: Storage; logger: Logger; now: () => Date; intervalMs: number; batchSize?: number }) {
  const batchSize = deps.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweepBatch(): Promise<number> {
    const em = systemEm(deps.orm);
    return em.transactional(async (tx) => {
      const now = deps.now();
      const due = await tx.find(
        FileEntity,
        {
          expiresAt: { $lte: now },
          $or: [{ status: 'READY' }, { status: 'UPLOADING', $or: [{ uploadLeaseUntil: null }, { uploadLeaseUntil: { $lt: now } }] }],
        },
        { filters: { [TENANT_FILTER]: false }, limit: batchSize, orderBy: { expiresAt: 'asc' }, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      for (const file of due) {
        await deps.storage.delete(file.storageKey);
        file.status = 'EXPIRED';
        file.expiresAt = null;
        file.uploadLeaseId = null;
        file.uploadLeaseUntil = null;
        file.updatedAt = now;
      }
      await tx.flush();
      if (due.length) deps.logger.info({ expired: due.length }, 'expired files swept');
      return due.length;
    });
  }

  /** Sweeps until nothing is due; answers how many files expired. */
  async function sweepOnce(): Promise<number> {
    running ??= (async () => {
      let total = 0;
      try {
        for (;;) {
          const n = await sweepBatch();
          total += n;
          if (n < batchSize) return total;
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /**
   * What writes cut short left in storage (a process killed mid-write), once an hour: a storage that leaves
   * such things (local) says how to find them.
   */
  let nextIncomplete = 0;
  async function sweepIncomplete(): Promise<number> {
    if (!deps.storage.sweepIncomplete || deps.now().getTime() < nextIncomplete) return 0;
    nextIncomplete = deps.now().getTime() + INCOMPLETE_EVERY_MS;
    const swept = await deps.storage.sweepIncomplete(INCOMPLETE_AFTER_MS);
    if (swept) deps.logger.info({ swept }, 'incomplete writes swept from storage');
    return swept;
  }

  return {
    sweepOnce,
    sweepIncomplete,
    start() {
      const tick = () => {
        sweepOnce()
          .then(() => sweepIncomplete())
          .catch((err: unknown) => deps.logger.error({ err }, 'sweeping expired files failed; retrying next interval'))
          .finally(() => { if (timer) timer = schedule(); });
      };
      // Unref'd: a pending sweep never keeps a process alive that is otherwise done.
      const schedule = () => setTimeout(tick, deps.intervalMs).unref();
      timer = schedule();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
