import { TENANT_FILTER, type EntityManager } from '@rowline/kit';
import { ExecutionEntity, ExecutionLogEntity, StepRunEntity, type ArtifactRef, type Execution, type RunError } from './entities.js';
import { appendOutbox, type OutboxMessage } from '../events/outbox.js';
import { eventMessage, type EventPayload } from '../events/messages.js';
import { sourcesOf, type Phase, type Status } from '../domain/state-machine.js';

const SYSTEM = { filters: { [TENANT_FILTER]: false } } as const;

export type ClaimResult =
  | { kind: 'claimed'; run: Execution }
  | { kind: 'terminal' }
  | { kind: 'busy'; retryAt: Date }
  | { kind: 'missing' };

/**
 * The worker-side writes of a run. Each is a conditional UPDATE on (status, lease owner), so a worker that
 * lost its lease, or a redelivered message, can never move a run it does not own.
 */
export function createRunStore(deps: { em: () => EntityManager }) {
  return {
    /** Takes the run for `owner` if nobody holds a live lease on it. */
    async claim(executionId: string, owner: string, leaseMs: number): Promise<ClaimResult> {
      const em = deps.em();
      const rows = await em.execute<{ id: string }[]>(
        `update "executions"."executions"
            set "status" = 'RUNNING', "phase" = 'INITIALIZING', "lease_owner" = ?, "attempt" = "attempt" + 1,
                "lease_expires_at" = now() + (? * interval '1 millisecond'), "started_at" = coalesce("started_at", now()),
                "error" = null, "artifacts" = null, "progress_percent" = 0, "rows_processed" = 0
          where "id" = ? and ("status" in ('PENDING', 'QUEUED') or ("status" = 'RUNNING' and "lease_expires_at" < now()))
          returning "id"`,
        [owner, leaseMs, executionId],
      );
      const run = await em.findOne(ExecutionEntity, { id: executionId }, { ...SYSTEM, refresh: true });
      if (!run) return { kind: 'missing' };
      if (rows.length) return { kind: 'claimed', run };
      if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(run.status)) return { kind: 'terminal' };
      return { kind: 'busy', retryAt: run.leaseExpiresAt ?? new Date(Date.now() + leaseMs) };
    },

    /** Extends the lease; false means it was lost (expired and taken, or the run was cancelled). */
    async heartbeat(executionId: string, owner: string, leaseMs: number): Promise<boolean> {
      const rows = await deps.em().execute<{ id: string }[]>(
        `update "executions"."executions" set "lease_expires_at" = now() + (? * interval '1 millisecond')
          where "id" = ? and "lease_owner" = ? and "status" = 'RUNNING' returning "id"`,
        [leaseMs, executionId, owner],
      );
      return rows.length === 1;
    },

    async setProgress(executionId: string, owner: string, p: { phase: Phase; percent: number | null; rowsProcessed: number }) {
      await deps.em().execute(
        `update "executions"."executions" set "phase" = ?, "progress_percent" = ?, "rows_processed" = ?
          where "id" = ? and "lease_owner" = ? and "status" = 'RUNNING'`,
        [p.phase, p.percent, p.rowsProcessed, executionId, owner],
      );
    },

    /**
     * Moves an owned run and appends its events to the outbox in one transaction. Returns false when the
     * run is no longer this owner's (lease lost or cancelled): the caller must then drop its result.
     */
    async transition(run: Execution, owner: string | null, change: {
      status: Status; phase?: Phase | null; error?: RunError | null; artifacts?: ArtifactRef[] | null; rowsProcessed?: number;
      steps?: Array<{ index: number; type: string; status: string; rowsIn: number; rowsOut: number; durationMs: number }>;
      logs?: Array<{ level: string; message: string; step?: number | null; at?: Date }>;
      events: EventPayload[];
    }): Promise<boolean> {
      return deps.em().transactional(async (tx) => {
        const terminal = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(change.status);
        const [row] = await tx.execute<{ sequence: string }[]>(
          `update "executions"."executions"
              set "status" = ?, "phase" = ?, "error" = ?, "artifacts" = coalesce(?, "artifacts"),
                  "sequence" = "sequence" + ?, "finished_at" = case when ? then now() else "finished_at" end,
                  "lease_owner" = case when ? then null else "lease_owner" end,
                  "progress_percent" = case when ? = 'SUCCEEDED' then 100 else "progress_percent" end,
                  "rows_processed" = coalesce(?, "rows_processed")
            where "id" = ? and "status" in (?) and (?::text is null or "lease_owner" = ?)
            returning "sequence"`,
          [
            change.status, change.phase ?? null, change.error ? JSON.stringify(change.error) : null,
            change.artifacts ? JSON.stringify(change.artifacts) : null, change.events.length, terminal, terminal,
            change.status, change.rowsProcessed ?? null, run.id, sourcesOf(change.status), owner, owner,
          ],
        );
        if (!row) return false;
        // Redo after a crash replaces the step records of the earlier attempt.
        if (change.steps?.length) {
          await tx.nativeDelete(StepRunEntity, { executionId: run.id }, SYSTEM);
          for (const s of change.steps) {
            tx.create(StepRunEntity, { id: crypto.randomUUID(), tenantId: run.tenantId, executionId: run.id, ...s });
          }
        }
        for (const l of change.logs ?? []) {
          tx.create(ExecutionLogEntity, {
            id: crypto.randomUUID(), tenantId: run.tenantId, executionId: run.id, at: l.at ?? new Date(),
            level: l.level, message: l.message.slice(0, 4000), step: l.step ?? null,
          });
        }
        const last = Number(row.sequence);
        const first = last - change.events.length + 1;
        const messages: OutboxMessage[] = change.events.map((payload, i) => eventMessage(run, first + i, payload));
        await appendOutbox(tx, messages);
        await tx.flush();
        return true;
      });
    },
  };
}
export type RunStore = ReturnType<typeof createRunStore>;
