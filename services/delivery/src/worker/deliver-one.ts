import type { Readable } from 'node:stream';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger, Orm } from '@rowline/kit';
import { AppError, databaseTroubleText, TENANT_FILTER, tracer } from '@rowline/kit';
import { StorageError, withStreamErrors, type Storage } from '@rowline/storage';
import { nextDelayMs, type RetrySchedule } from '../domain/retry-policy.js';
import { secretContext, type SecretBox } from '../domain/secret-box.js';
import { DestinationEntity, type DeliveryStatus, type Destination } from '../store/entities.js';
import type { ClaimedRow, LedgerStore } from '../store/ledger-store.js';
import { describeFailure, INTERNAL_ERROR, TransportError } from '../transports/errors.js';
import type { OpenDestination, Transport } from '../transports/types.js';
import type { DestinationKind } from '../store/entities.js';
import type { DeliveryMetrics } from './metrics.js';

/** Where an artifact's bytes are and a fresh download link, from the files service. */
export type LocateArtifact = (tenantId: string, fileId: string) => Promise<{ storageKey: string; downloadUrl: string | null }>;

export type AttemptDeps = {
  orm: Orm; ledger: LedgerStore; storage: Storage; locate: LocateArtifact; box: SecretBox;
  transports: Record<DestinationKind, Transport>; schedule: RetrySchedule; logger: Logger;
  metrics?: DeliveryMetrics;
};

export function openDestination(box: SecretBox, d: Destination): OpenDestination {
  return { id: d.id, tenantId: d.tenantId, kind: d.kind, config: d.config, secrets: d.secrets ? box.open(d.secrets, secretContext(d.tenantId, d.id)) : {} };
}

/**
 * The delivery's database failed before anything was sent: "the database was unavailable" (no connection, or it
 * was lost) or "busy" (a deadlock, a lock or statement timeout) as kit's databaseTroubleText tells them, and any
 * other error of it (a constraint, a schema that does not match: the platform's bug) an internal error. Retried
 * alike; the error itself is the log's.
 */
const databaseFailure = (err: unknown) => new TransportError('INTERNAL', databaseTroubleText(err) ?? INTERNAL_ERROR, { cause: err });

/**
 * One attempt at one claimed delivery, recorded whatever happens; never throws for a failed delivery. It runs
 * in a span of the trace the delivery was recorded in (the run's, carried by its executions.events message),
 * so a run's deliveries and their retries, hours later on any worker, belong to the run's trace.
 */
export async function attemptDelivery(deps: AttemptDeps, row: ClaimedRow): Promise<void> {
  return tracer().startActiveSpan('delivery attempt', {
    kind: SpanKind.CLIENT,
    attributes: {
      'rowline.delivery.id': row.id, 'rowline.execution.id': row.execution_id, 'rowline.tenant.id': row.tenant_id,
      'rowline.delivery.attempt': row.attempt_count,
    },
  }, propagation.extract(ROOT_CONTEXT, row.trace_headers ?? {}), async (span) => {
    try {
      await attempt(deps, row, span);
    } finally {
      span.end();
    }
  });
}

async function attempt(deps: AttemptDeps, row: ClaimedRow, span: Span): Promise<void> {
  const at = new Date();
  const started = performance.now();
  let error: unknown = null;
  let kind = 'unknown';
  // The artifact's stream failed (storage's trouble, partway through): the attempt's failure, whatever the
  // transport made of it (an SFTP upload "failed", an SMTP send refused), which would name storage's error.
  let readFailure: TransportError | undefined;
  try {
    const destination = await deps.orm.em.fork().findOne(DestinationEntity, { id: row.destination_id, tenantId: row.tenant_id }, { filters: { [TENANT_FILTER]: false } })
      .catch((err: unknown) => { throw databaseFailure(err); });
    if (!destination) throw new TransportError('CONFIG', 'the destination was deleted', { permanent: true });
    kind = destination.kind.toLowerCase();
    if (!destination.enabled) throw new TransportError('CONFIG', 'the destination is disabled', { permanent: true });
    // The files service's and storage's own messages (a storage key, a path, a host and port) are not the tenant's to read.
    const located = await deps.locate(row.tenant_id, row.artifact_file_id).catch((err: unknown) => {
      const why = err instanceof AppError && err.code === 'NOT_FOUND' ? 'it was deleted or has expired' : 'the files service did not answer';
      throw new TransportError('READ', `the artifact could not be found: ${why}`, { cause: err });
    });
    const open = async (): Promise<Readable> => {
      const stream = await deps.storage.get(located.storageKey).catch((err: unknown) => {
        const why = err instanceof StorageError && err.code === 'NOT_FOUND' ? 'they are no longer in storage' : 'storage failed';
        throw new TransportError('READ', `the artifact's bytes could not be read: ${why}`, { cause: err });
      });
      return withStreamErrors(stream, (err) => {
        readFailure ??= new TransportError('READ', 'the artifact\'s bytes could not be read: storage failed partway through', { cause: err });
        return readFailure;
      });
    };
    await deps.transports[destination.kind].send(openDestination(deps.box, destination), {
      deliveryId: row.id, idempotencyKey: row.idempotency_key, executionId: row.execution_id, workflowId: row.workflow_id, fileName: row.file_name,
      artifact: {
        id: row.artifact_file_id, name: row.artifact_name, size: Number(row.artifact_size), sha256: row.artifact_sha256,
        contentType: row.artifact_content_type, downloadUrl: located.downloadUrl,
      },
      open,
    });
  } catch (err) {
    error = readFailure ?? err;
  }
  const durationMs = performance.now() - started;
  const failure = error === null ? null : error instanceof TransportError ? error : null;
  const message = error === null ? null : describeFailure(error);
  const last = row.attempt_count >= deps.schedule.maxAttempts || failure?.permanent === true;
  const next: { status: DeliveryStatus; retryInMs?: number } = error === null
    ? { status: 'SUCCEEDED' }
    : last ? { status: 'DEAD' } : { status: 'FAILED', retryInMs: nextDelayMs(deps.schedule, row.attempt_count, failure?.retryAfterMs) };
  const timedOut = /^TIMEOUT:/.test(message ?? '');
  const outcome = error === null ? 'SUCCEEDED' : timedOut ? 'TIMED_OUT' : 'FAILED';
  const kept = await deps.ledger.finishAttempt(row, {
    at, durationMs, outcome, error: message, next, disableDestination: failure?.disableDestination,
  });
  if (kept) deps.metrics?.attempt(kind, outcome, durationMs, next.status);
  span.setAttributes({ 'rowline.destination.kind': kind, 'rowline.delivery.outcome': outcome, 'rowline.delivery.status': next.status });
  if (message) span.setStatus({ code: SpanStatusCode.ERROR, message });
  const log = { deliveryId: row.id, tenantId: row.tenant_id, executionId: row.execution_id, attempt: row.attempt_count, status: next.status };
  if (!kept) deps.logger.warn(log, 'delivery attempt finished after its claim was taken over; result dropped');
  else if (error === null) deps.logger.info(log, 'delivered');
  else {
    // What users read is `message`; the error it tells of (a SQL error, a path, an internal host) is the log's.
    const cause = error instanceof TransportError ? error.cause : error;
    deps.logger.warn({ ...log, error: message, ...(cause === undefined ? {} : { err: cause }), retryInMs: next.retryInMs }, next.status === 'DEAD' ? 'delivery is dead' : 'delivery attempt failed');
  }
}
