import type { EntityManager } from '@rowline/kit';
import { appendOutbox, newId, runPrepared, traceHeaders } from '@rowline/kit';
import { idempotencyKey, matchesPattern, renderFileName } from '../domain/delivery-plan.js';
import { deliveryEventMessages, type LedgerFacts } from '../events/messages.js';
import type { AttemptOutcome, DeliveryStatus } from './entities.js';

/** Whether a run's workflow has any route to an enabled destination. */
async function hasRoutes(em: EntityManager, run: SucceededRun): Promise<boolean> {
  const [row] = await runPrepared<{ any: boolean }>(em, {
    name: 'delivery.has-routes',
    text: `select exists (select 1 from "delivery"."routes" r join "delivery"."destinations" d on d."id" = r."destination_id" and d."enabled"
      where r."tenant_id" = $1 and r."workflow_id" = $2) as "any"`,
  }, [run.tenantId, run.workflowId]);
  return !!row?.any;
}

export const CONSUMER = 'delivery-service';

/** What `redeliver` did: only `redelivered` changed anything. */
export type RedeliverOutcome = 'redelivered' | 'not-found' | 'not-finished' | 'destination-deleted' | 'destination-disabled';

export type RunArtifact = { fileId: string; name: string; size: number; sha256: string; contentType: string };
export type SucceededRun = { eventId: string; tenantId: string; executionId: string; workflowId: string; at: Date; artifacts: RunArtifact[] };

/** A delivery as a worker holds it: the claimed row, snake_case as Postgres returns it. */
export type ClaimedRow = {
  id: string; tenant_id: string; execution_id: string; workflow_id: string; route_id: string; destination_id: string;
  artifact_file_id: string; artifact_name: string; file_name: string; artifact_size: string; artifact_sha256: string;
  artifact_content_type: string; attempt_count: number; idempotency_key: string; lease_until: Date;
  /** traceparent/tracestate of the trace the delivery belongs to; `{}` when none was active. */
  trace_headers: Record<string, string>;
};

const RETURNING = `"id", "tenant_id", "execution_id", "workflow_id", "route_id", "destination_id", "artifact_file_id", "artifact_name",
  "file_name", "artifact_size", "artifact_sha256", "artifact_content_type", "attempt_count", "idempotency_key", "lease_until", "status", "last_error", "trace_headers"`;

const facts = (r: ClaimedRow & { status: DeliveryStatus; last_error: string | null }): LedgerFacts => ({
  id: r.id, tenantId: r.tenant_id, executionId: r.execution_id, workflowId: r.workflow_id, destinationId: r.destination_id,
  artifactFileId: r.artifact_file_id, artifactName: r.artifact_name, status: r.status, attemptCount: r.attempt_count, lastError: r.last_error,
});

/**
 * The ledger's writes, in SQL because each is one statement with a row lock or a conflict clause that the
 * unit of work cannot express. Every method runs in one transaction with its outbox rows.
 */
export function createLedgerStore(deps: { em: () => EntityManager }) {
  /** The ledger rows of a succeeded run whose workflow has routes, once per event id. */
  const recordWithRoutes = (run: SucceededRun) => deps.em().transactional(async (tx) => {
    const fresh = await tx.execute<unknown[]>(
      'insert into "delivery"."processed_events" ("consumer", "event_id", "processed_at") values (?, ?, now()) on conflict do nothing returning "event_id"',
      [CONSUMER, run.eventId]);
    if (!fresh.length) return 0;
    const routes = await tx.execute<Array<{ id: string; destination_id: string; artifact_pattern: string; file_name_template: string }>>(
      `select r."id", r."destination_id", r."artifact_pattern", r."file_name_template" from "delivery"."routes" r
       join "delivery"."destinations" d on d."id" = r."destination_id" and d."enabled"
       where r."tenant_id" = ? and r."workflow_id" = ? order by r."id"`, [run.tenantId, run.workflowId]);
    let created = 0;
    for (const route of routes) {
      for (const a of run.artifacts.filter((x) => matchesPattern(route.artifact_pattern, x.name))) {
        const fileName = renderFileName(route.file_name_template, { name: a.name, executionId: run.executionId, workflowId: run.workflowId, at: run.at });
        const rows = await tx.execute<Array<ClaimedRow & { status: DeliveryStatus; last_error: string | null }>>(
          `insert into "delivery"."deliveries" ("id", "tenant_id", "execution_id", "workflow_id", "route_id", "destination_id",
             "artifact_file_id", "artifact_name", "file_name", "artifact_size", "artifact_sha256", "artifact_content_type",
             "status", "attempt_count", "next_attempt_at", "idempotency_key", "trace_headers", "created_at", "updated_at")
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, now(), ?, ?, now(), now())
           on conflict ("tenant_id", "idempotency_key") do nothing returning ${RETURNING}`,
          [newId(), run.tenantId, run.executionId, run.workflowId, route.id, route.destination_id, a.fileId, a.name, fileName,
            a.size, a.sha256, a.contentType || 'application/octet-stream', idempotencyKey(run.executionId, route.id, a.fileId),
            JSON.stringify(traceHeaders())]);
        for (const row of rows) await appendOutbox(tx, 'delivery', deliveryEventMessages(facts(row)));
        created += rows.length;
      }
    }
    return created;
  });

  return {
    /**
     * Records one delivery per artifact and matching route of a succeeded run. The processed-event row and
     * the unique idempotency key are written in the same transaction: a replayed event (same id, or a new
     * id for the same run) creates nothing. Returns how many deliveries were created.
     */
    recordSucceededRun: async (run: SucceededRun) => {
      // Most runs have no route: one indexed read, and nothing written (the event id is recorded only
      // where there is something to deliver; each delivery's own idempotency key guards it besides).
      if (!(await hasRoutes(deps.em(), run))) return 0;
      return recordWithRoutes(run);
    },

    /**
     * Takes up to `limit` due deliveries (never tried, retry time reached, or a dead worker's lease expired)
     * and leases them. SKIP LOCKED lets any number of workers claim side by side without waiting on each other.
     * The attempt is counted here, so a delivery whose worker keeps dying still reaches DEAD.
     */
    claimDue: (limit: number, leaseMs: number) => deps.em().transactional((tx) => tx.execute<ClaimedRow[]>(
      `update "delivery"."deliveries" set "status" = 'IN_PROGRESS', "attempt_count" = "attempt_count" + 1,
         "lease_until" = now() + ? * interval '1 millisecond', "updated_at" = now()
       where "id" in (
         select "id" from "delivery"."deliveries"
         where ("status" in ('PENDING', 'FAILED') and "next_attempt_at" <= now()) or ("status" = 'IN_PROGRESS' and "lease_until" < now())
         order by "next_attempt_at" limit ? for update skip locked)
       returning ${RETURNING}`, [leaseMs, limit])),

    /**
     * Writes an attempt and the delivery's next state, if this worker still holds its claim: a worker that ran
     * past its lease may have been taken over (which counted another attempt), and its late result must not
     * overwrite the new holder's.
     */
    finishAttempt: (claimed: ClaimedRow, result: {
      at: Date; durationMs: number; outcome: AttemptOutcome; error: string | null; next: { status: DeliveryStatus; retryInMs?: number };
      disableDestination?: boolean;
    }) => deps.em().transactional(async (tx) => {
      const rows = await tx.execute<Array<ClaimedRow & { status: DeliveryStatus; last_error: string | null }>>(
        `update "delivery"."deliveries" set "status" = ?, "lease_until" = null, "last_error" = ?, "updated_at" = now(),
           "next_attempt_at" = case when ?::int is null then null else now() + ?::int * interval '1 millisecond' end
         where "id" = ? and "status" = 'IN_PROGRESS' and "attempt_count" = ? returning ${RETURNING}`,
        [result.next.status, result.error, result.next.retryInMs ?? null, result.next.retryInMs ?? null, claimed.id, claimed.attempt_count]);
      if (!rows.length) return false;
      await tx.execute(
        'insert into "delivery"."delivery_attempts" ("id", "delivery_id", "tenant_id", "at", "outcome", "error", "duration_ms") values (?, ?, ?, ?, ?, ?, ?)',
        [newId(), claimed.id, claimed.tenant_id, result.at, result.outcome, result.error, Math.max(0, Math.round(result.durationMs))]);
      if (result.disableDestination) {
        await tx.execute('update "delivery"."destinations" set "enabled" = false, "updated_at" = now() where "id" = ?', [claimed.destination_id]);
      }
      if (result.next.status === 'SUCCEEDED' || result.next.status === 'DEAD') await appendOutbox(tx, 'delivery', deliveryEventMessages(facts(rows[0]!)));
      return true;
    }),

    /**
     * Sends a finished delivery again: back to PENDING with a fresh retry schedule, the same idempotency key,
     * its past attempts kept. Only while its destination exists and is enabled: the destination's row is
     * share-locked until the delivery is PENDING, so a delete or a disable either waits for it or is seen
     * here. Every read is by the caller's tenant: another tenant's id matches no row.
     */
    redeliver: (tenantId: string, id: string) => deps.em().transactional(async (tx): Promise<RedeliverOutcome> => {
      const [delivery] = await tx.execute<Array<{ destination_id: string }>>(
        'select "destination_id" from "delivery"."deliveries" where "id" = ? and "tenant_id" = ?', [id, tenantId]);
      if (!delivery) return 'not-found';
      const [destination] = await tx.execute<Array<{ enabled: boolean }>>(
        'select "enabled" from "delivery"."destinations" where "id" = ? and "tenant_id" = ? for share', [delivery.destination_id, tenantId]);
      if (!destination) return 'destination-deleted';
      if (!destination.enabled) return 'destination-disabled';
      const rows = await tx.execute<Array<ClaimedRow & { status: DeliveryStatus; last_error: string | null }>>(
        `update "delivery"."deliveries" set "status" = 'PENDING', "attempt_count" = 0, "next_attempt_at" = now(), "lease_until" = null, "updated_at" = now(),
           "trace_headers" = ?
         where "id" = ? and "tenant_id" = ? and "status" in ('SUCCEEDED', 'FAILED', 'DEAD') returning ${RETURNING}`, [JSON.stringify(traceHeaders()), id, tenantId]);
      for (const row of rows) await appendOutbox(tx, 'delivery', deliveryEventMessages(facts(row)));
      return rows.length > 0 ? 'redelivered' : 'not-finished';
    }),
  };
}
export type LedgerStore = ReturnType<typeof createLedgerStore>;
