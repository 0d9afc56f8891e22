import type { BusMessage, EventBus } from '@rowline/bus';
import type { Logger } from '@rowline/kit';
import { decodeExecutionEvent, TOPICS } from '@rowline/proto';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { CONSUMER, type LedgerStore } from '../store/ledger-store.js';

/**
 * Turns a succeeded run into ledger rows; every other event is ignored. Idempotent (see recordSucceededRun),
 * so the bus may deliver a message more than once. A message that cannot be decoded throws and, after the
 * bus's retries, goes to `executions.events.dlq` with its error.
 */
export async function handleExecutionEvent(deps: { ledger: LedgerStore; logger: Logger; onRecorded?: () => void }, msg: BusMessage): Promise<void> {
  const event = decodeExecutionEvent(msg.value);
  if (event.payload.case !== 'succeeded') return;
  if (!event.meta?.eventId || !event.meta.tenantId) throw new Error('ExecutionEvent without meta.eventId or meta.tenantId');
  const created = await deps.ledger.recordSucceededRun({
    eventId: event.meta.eventId, tenantId: event.meta.tenantId, executionId: event.executionId, workflowId: event.workflowId,
    at: event.meta.occurredAt ? timestampDate(event.meta.occurredAt) : new Date(),
    artifacts: event.payload.value.artifacts.map((a) => ({ fileId: a.fileId, name: a.name, size: Number(a.size), sha256: a.sha256, contentType: a.contentType })),
  });
  deps.logger.info({ executionId: event.executionId, tenantId: event.meta.tenantId, created }, 'succeeded run recorded for delivery');
  if (created) deps.onRecorded?.();
}

/** The `executions.events` subscription; offsets are committed by the bus only after the handler's transaction committed. */
export function createExecutionEventsConsumer(deps: { bus: EventBus; ledger: LedgerStore; logger: Logger; onRecorded?: () => void; concurrency?: number }) {
  let subscription: { stop(): Promise<void>; ready: Promise<void> } | undefined;
  return {
    async start() {
      subscription = await deps.bus.subscribe({
        topics: [TOPICS.executionEvents], groupId: CONSUMER, fromBeginning: true, concurrency: deps.concurrency ?? 2,
        // The ledger's event id makes a redelivered event a no-op: a second's worth after a crash is harmless.
        commitIntervalMs: 1_000,
        handler: (msg) => handleExecutionEvent(deps, msg),
      });
      await subscription.ready;
    },
    async stop() { await subscription?.stop(); },
  };
}
