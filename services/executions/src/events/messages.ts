import {
  create, dlqOf, encodeExecutionEvent, encodeExecutionRequested, eventMeta, ExecutionEventSchema,
  ExecutionPhase, ExecutionRequestedSchema, ExecutionStatus, TOPICS,
} from '@rowline/proto';
import { newId } from '@rowline/kit';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { OutboxMessage } from '@rowline/kit';
import type { Phase, Status } from '../domain/state-machine.js';

export { TOPICS, dlqOf };

export const statusToProto = (s: Status): ExecutionStatus => ExecutionStatus[s];
export const phaseToProto = (p: Phase | null): ExecutionPhase => (p ? ExecutionPhase[p] : ExecutionPhase.UNSPECIFIED);
export const protoToStatus = (s: ExecutionStatus): Status | undefined => {
  const name = ExecutionStatus[s];
  return name === 'UNSPECIFIED' ? undefined : (name as Status);
};

export function requestedMessage(run: { id: string; tenantId: string; workflowId: string; workflowVersionId: string; inputFileId: string; attempt: number }): OutboxMessage {
  const payload = encodeExecutionRequested(create(ExecutionRequestedSchema, {
    meta: eventMeta(newId(), run.tenantId), executionId: run.id, workflowId: run.workflowId,
    workflowVersionId: run.workflowVersionId, inputFileId: run.inputFileId, attempt: run.attempt,
  }));
  return { topic: TOPICS.executionRequested, key: run.id, payload, headers: { 'tenant-id': run.tenantId, 'event-type': 'ExecutionRequested' } };
}

export type EventPayload = MessageInitShape<typeof ExecutionEventSchema>['payload'];

/** One ExecutionEvent for the outbox (or a direct publish, for coalescable progress). */
export function eventMessage(run: { id: string; tenantId: string; workflowId: string }, sequence: number, payload: EventPayload): OutboxMessage {
  const bytes = encodeExecutionEvent(create(ExecutionEventSchema, {
    meta: eventMeta(newId(), run.tenantId), executionId: run.id, workflowId: run.workflowId,
    sequence: BigInt(sequence), payload,
  }));
  return { topic: TOPICS.executionEvents, key: run.id, payload: bytes, headers: { 'tenant-id': run.tenantId, 'event-type': payload?.case ?? 'unknown' } };
}

export function statusEvent(status: Status, phase: Phase | null): EventPayload {
  return { case: 'statusChanged', value: { status: statusToProto(status), phase: phaseToProto(phase) } };
}

/**
 * The events of a run ending other than SUCCEEDED, on every path that ends one (worker, cancel, sweeper):
 * its status, then why. The last one carries the status too, so that it alone says how the run ended.
 */
export function endedEvents(status: 'FAILED' | 'CANCELLED' | 'TIMED_OUT', error: { code: string; message: string; step: number | null }): EventPayload[] {
  return [statusEvent(status, null), { case: 'failed', value: { code: error.code, message: error.message, step: error.step ?? -1, status: statusToProto(status) } }];
}
