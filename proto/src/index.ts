import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ExecutionEventSchema, ExecutionRequestedSchema, EventMetaSchema,
  type ExecutionEvent, type ExecutionRequested, type EventMeta,
} from './gen/rowline/v1/executions_pb.js';

export * from './gen/rowline/v1/executions_pb.js';
export * from './gen/rowline/v1/deliveries_pb.js';
export { create, fromBinary, toBinary };

/** Topic names: the contract between producers and consumers. Created explicitly; auto-creation is off. */
export const TOPICS = {
  executionRequested: 'executions.requested',
  executionEvents: 'executions.events',
  deliveryEvents: 'deliveries.events',
} as const;
export const dlqOf = (topic: string): string => `${topic}.dlq`;

export function eventMeta(eventId: string, tenantId: string, at: Date = new Date()): EventMeta {
  return create(EventMetaSchema, { eventId, tenantId, occurredAt: timestampFromDate(at) });
}

export const encodeExecutionRequested = (m: ExecutionRequested): Uint8Array => toBinary(ExecutionRequestedSchema, m);
export const decodeExecutionRequested = (b: Uint8Array): ExecutionRequested => fromBinary(ExecutionRequestedSchema, b);
export const encodeExecutionEvent = (m: ExecutionEvent): Uint8Array => toBinary(ExecutionEventSchema, m);
export const decodeExecutionEvent = (b: Uint8Array): ExecutionEvent => fromBinary(ExecutionEventSchema, b);
