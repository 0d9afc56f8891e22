import { defineEntity, p } from '@mikro-orm/core';
import { tenantFilter } from '@rowline/kit';

export const DESTINATION_KINDS = ['WEBHOOK', 'SFTP', 'FTP', 'S3', 'EMAIL'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

export const DELIVERY_STATUSES = ['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'DEAD'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const ATTEMPT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export const DestinationEntity = defineEntity({
  name: 'Destination',
  tableName: 'destinations',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    name: p.string().length(200),
    kind: p.enum(DESTINATION_KINDS),
    /** Non-secret settings only; safe to return to clients. */
    config: p.json<Record<string, unknown>>(),
    /** AES-256-GCM envelope of the secret fields (see domain/secret-box.ts); null when the kind has none. */
    secrets: p.text().nullable(),
    /** Names of the stored secret fields, kept in clear so reads can mask them without decrypting. */
    secretFields: p.json<string[]>(),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Destination = InstanceType<typeof DestinationEntity.class>;

/** Which artifacts of a workflow's runs go to which destination, under which file name. */
export const RouteEntity = defineEntity({
  name: 'Route',
  tableName: 'routes',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    workflowId: p.uuid(),
    destinationId: p.uuid(),
    artifactPattern: p.text().default('*'),
    fileNameTemplate: p.text().default('{name}'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Route = InstanceType<typeof RouteEntity.class>;

/** The ledger: one row per artifact and route of a succeeded run. */
export const DeliveryEntity = defineEntity({
  name: 'Delivery',
  tableName: 'deliveries',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    executionId: p.uuid(),
    workflowId: p.uuid(),
    routeId: p.uuid(),
    destinationId: p.uuid(),
    artifactFileId: p.uuid(),
    artifactName: p.text(),
    /** The name it is delivered under, rendered from the route's template when the delivery was recorded. */
    fileName: p.text().default(''),
    artifactSize: p.bigint('number').default(0),
    artifactSha256: p.text().default(''),
    artifactContentType: p.text().default('application/octet-stream'),
    status: p.enum(DELIVERY_STATUSES).default('PENDING'),
    attemptCount: p.integer().default(0),
    nextAttemptAt: p.datetime().nullable(),
    /** While IN_PROGRESS: when the claiming worker's lease ends and another may take the delivery over. */
    leaseUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    /** The trace its attempts continue: the recording event's (or the redeliver request's) traceparent/tracestate. */
    traceHeaders: p.json<Record<string, string>>().defaultRaw(`'{}'`),
    /** Derived from (execution, route, artifact) by the consumer, so a redelivered event inserts nothing. */
    idempotencyKey: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Delivery = InstanceType<typeof DeliveryEntity.class>;

/** Append-only: one row per try, whatever its outcome. */
export const DeliveryAttemptEntity = defineEntity({
  name: 'DeliveryAttempt',
  tableName: 'delivery_attempts',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    deliveryId: p.uuid(),
    tenantId: p.uuid(),
    at: p.datetime(),
    outcome: p.enum(ATTEMPT_OUTCOMES),
    error: p.text().nullable(),
    durationMs: p.integer(),
  },
});
export type DeliveryAttempt = InstanceType<typeof DeliveryAttemptEntity.class>;

/**
 * Events a consumer has already applied, written in the same transaction as the effect: a redelivered
 * event finds its row and is skipped. Not tenant-filtered: consumers run as the system.
 */
export const ProcessedEventEntity = defineEntity({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  properties: {
    consumer: p.string().primary(),
    eventId: p.string().primary(),
    processedAt: p.datetime().onCreate(() => new Date()),
  },
});

export const entities = [DestinationEntity, RouteEntity, DeliveryEntity, DeliveryAttemptEntity, ProcessedEventEntity];
