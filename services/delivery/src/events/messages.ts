import { create, DeliveryEventSchema, DeliveryStatus as ProtoStatus, dlqOf, eventMeta, toBinary, TOPICS } from '@rowline/proto';
import { newId } from '@rowline/kit';
import type { DeliveryStatus } from '../store/entities.js';

export { TOPICS, dlqOf };
/** The topics this service publishes; the bus creates each one's `.dlq` beside it. */
export const DELIVERY_TOPICS = [TOPICS.deliveryEvents];

export type OutboxMessage = { topic: string; key: string; payload: Uint8Array; headers: Record<string, string> };

export type LedgerFacts = {
  id: string; tenantId: string; executionId: string; workflowId: string; destinationId: string;
  artifactFileId: string; artifactName: string; status: DeliveryStatus; attemptCount: number; lastError: string | null;
};

/** The ledger change as `deliveries.events` carries it; a DEAD delivery also goes to the dead-letter topic. */
export function deliveryEventMessages(d: LedgerFacts): OutboxMessage[] {
  const payload = toBinary(DeliveryEventSchema, create(DeliveryEventSchema, {
    meta: eventMeta(newId(), d.tenantId), deliveryId: d.id, executionId: d.executionId, workflowId: d.workflowId,
    destinationId: d.destinationId, artifactFileId: d.artifactFileId, artifactName: d.artifactName,
    status: ProtoStatus[d.status], attemptCount: d.attemptCount, error: d.lastError ?? '',
  }));
  const message = { key: d.id, payload, headers: { 'tenant-id': d.tenantId, 'event-type': `Delivery${d.status}` } };
  const topics = d.status === 'DEAD' ? [TOPICS.deliveryEvents, dlqOf(TOPICS.deliveryEvents)] : [TOPICS.deliveryEvents];
  return topics.map((topic) => ({ topic, ...message }));
}
