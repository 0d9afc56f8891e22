import type { Readable } from 'node:stream';
import type { Logger, Orm } from '@rowline/kit';
import { TENANT_FILTER } from '@rowline/kit';
import type { Storage } from '@rowline/storage';
import { nextDelayMs, type RetrySchedule } from '../domain/retry-policy.js';
import { secretContext, type SecretBox } from '../domain/secret-box.js';
import { DestinationEntity, type DeliveryStatus, type Destination } from '../store/entities.js';
import type { ClaimedRow, LedgerStore } from '../store/ledger-store.js';
import { describeFailure, TransportError } from '../transports/errors.js';
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

/** One attempt at one claimed delivery, recorded whatever happens; never throws for a failed delivery. */
export async function attemptDelivery(deps: AttemptDeps, row: ClaimedRow): Promise<void> {
  const at = new Date();
  const started = performance.now();
  let error: unknown = null;
  let kind = 'unknown';
  try {
    const destination = await deps.orm.em.fork().findOne(DestinationEntity, { id: row.destination_id, tenantId: row.tenant_id }, { filters: { [TENANT_FILTER]: false } });
    if (!destination) throw new TransportError('CONFIG', 'the destination was deleted', { permanent: true });
    kind = destination.kind.toLowerCase();
    if (!destination.enabled) throw new TransportError('CONFIG', 'the destination is disabled', { permanent: true });
    const located = await deps.locate(row.tenant_id, row.artifact_file_id).catch((err: Error) => {
      throw new TransportError('READ', `the artifact could not be found: ${err.message}`);
    });
    const open = (): Promise<Readable> => deps.storage.get(located.storageKey).catch((err: Error) => {
      throw new TransportError('READ', `the artifact's bytes could not be read: ${err.message}`);
    });
    await deps.transports[destination.kind].send(openDestination(deps.box, destination), {
      deliveryId: row.id, idempotencyKey: row.idempotency_key, executionId: row.execution_id, workflowId: row.workflow_id, fileName: row.file_name,
      artifact: {
        id: row.artifact_file_id, name: row.artifact_name, size: Number(row.artifact_size), sha256: row.artifact_sha256,
        contentType: row.artifact_content_type, downloadUrl: located.downloadUrl,
      },
      open,
    });
  } catch (err) {
    error = err;
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
  const log = { deliveryId: row.id, tenantId: row.tenant_id, executionId: row.execution_id, attempt: row.attempt_count, status: next.status };
  if (!kept) deps.logger.warn(log, 'delivery attempt finished after its claim was taken over; result dropped');
  else if (error === null) deps.logger.info(log, 'delivered');
  else deps.logger.warn({ ...log, error: message, retryInMs: next.retryInMs }, next.status === 'DEAD' ? 'delivery is dead' : 'delivery attempt failed');
}
