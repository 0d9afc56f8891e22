import { outboxInsert, runPrepared, type EntityManager, type OutboxMessage } from '@rowline/kit';
import type { Execution } from './entities.js';

/**
 * Writes a new run and its outbox rows in one statement (data-modifying CTEs run all or nothing), so
 * accepting a run is one round trip instead of begin, an insert per row, and commit. A second run with the
 * same (tenant, idempotency key) fails with 23505 and writes no outbox row.
 */
export async function insertRun(em: EntityManager, run: Execution, messages: OutboxMessage[]): Promise<void> {
  const outbox = outboxInsert('executions', messages, RUN_COLUMNS + 1);
  await runPrepared(em, {
    name: `executions.insert-run.${messages.length}`,
    text: `with "run" as (
      insert into "executions"."executions" ("id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id",
        "input_file_name", "input_storage_key", "steps", "status", "phase", "progress_percent", "rows_processed",
        "idempotency_key", "requested_by", "error", "artifacts", "attempt", "lease_owner", "lease_expires_at", "sequence",
        "retry_of", "timeout_ms", "created_at", "started_at", "finished_at")
      values (${Array.from({ length: RUN_COLUMNS }, (_, i) => `$${i + 1}`).join(', ')}))
    ${outbox.sql}`,
  }, [
    run.id, run.tenantId, run.workflowId, run.workflowVersionId, run.inputFileId, run.inputFileName, run.inputStorageKey,
    JSON.stringify(run.steps), run.status, run.phase ?? null, run.progressPercent ?? null, run.rowsProcessed, run.idempotencyKey,
    run.requestedBy, json(run.error), json(run.artifacts), run.attempt, run.leaseOwner ?? null, run.leaseExpiresAt ?? null,
    run.sequence, run.retryOf ?? null, run.timeoutMs, run.createdAt, run.startedAt ?? null, run.finishedAt ?? null,
    ...outbox.params,
  ]);
}
const RUN_COLUMNS = 25;

/**
 * The id of the tenant's run accepted under this idempotency key, if any: a plain indexed query (the unique
 * key), since a new key, the usual case, needs no entity built.
 */
export async function runIdForKey(em: EntityManager, tenantId: string, key: string): Promise<string | undefined> {
  const [row] = await runPrepared<{ id: string }>(em, {
    name: 'executions.run-for-key',
    text: 'select "id" from "executions"."executions" where "tenant_id" = $1 and "idempotency_key" = $2',
  }, [tenantId, key]);
  return row?.id;
}

const json = (value: unknown): string | null => (value == null ? null : JSON.stringify(value));
