import { outboxParams, runPrepared, type EntityManager, type OutboxMessage } from '@rowline/kit';
import type { Execution } from './entities.js';

/**
 * Writes a new run and its outbox rows in one statement (data-modifying CTEs run all or nothing), so
 * accepting a run is one round trip instead of begin, an insert per row, and commit. False, with nothing
 * written, when the tenant already has a run under the run's idempotency key (also one that a concurrent
 * request is committing: the insert waits for it). The outbox rows get their ids in the order given.
 */
export async function insertRun(em: EntityManager, run: Execution, messages: OutboxMessage[]): Promise<boolean> {
  const first = RUN_COLUMNS + 1;
  const outboxValues = messages.map((_, m) => `(${m}, $${first + 4 * m}::text, $${first + 4 * m + 1}::text, $${first + 4 * m + 2}::bytea, $${first + 4 * m + 3}::jsonb)`);
  const [row] = await runPrepared<{ inserted: number }>(em, {
    name: `executions.insert-run.${messages.length}`,
    text: `with "run" as (
      insert into "executions"."executions" ("id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id",
        "input_file_name", "input_storage_key", "input_size", "files", "steps", "status", "phase", "progress_percent", "rows_processed",
        "idempotency_key", "requested_by", "error", "artifacts", "attempt", "lease_owner", "lease_expires_at", "sequence",
        "retry_of", "timeout_ms", "created_at", "started_at", "finished_at")
      values (${Array.from({ length: RUN_COLUMNS }, (_, i) => `$${i + 1}`).join(', ')})
      on conflict ("tenant_id", "idempotency_key") do nothing
      returning "id"),
    "outbox" as (
      insert into "executions"."outbox" ("topic", "key", "payload", "headers")
      select m."topic", m."key", m."payload", m."headers"
        from (values ${outboxValues.join(', ')}) as m("n", "topic", "key", "payload", "headers")
       where exists (select 1 from "run")
       order by m."n")
    select count(*)::int as "inserted" from "run"`,
  }, [
    run.id, run.tenantId, run.workflowId, run.workflowVersionId, run.inputFileId, run.inputFileName, run.inputStorageKey,
    run.inputSize ?? null, json(run.files),
    JSON.stringify(run.steps), run.status, run.phase ?? null, run.progressPercent ?? null, run.rowsProcessed, run.idempotencyKey,
    run.requestedBy, json(run.error), json(run.artifacts), run.attempt, run.leaseOwner ?? null, run.leaseExpiresAt ?? null,
    run.sequence, run.retryOf ?? null, run.timeoutMs, run.createdAt, run.startedAt ?? null, run.finishedAt ?? null,
    ...outboxParams(messages),
  ]);
  return row!.inserted === 1;
}
const RUN_COLUMNS = 27;

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
