import { defineEntity, p } from '@mikro-orm/core';
import { tenantFilter } from '@rowline/kit';
import { PHASES, STATUSES } from '../domain/state-machine.js';

export type StepSpec = { type: string; params: Record<string, unknown> };
export type ArtifactRef = { fileId: string; name: string; size: number; sha256: string; contentType: string };
/** A file given to a run besides its input, under the key its steps read it by (lookup's `from.file`). */
export type RunFileRef = { key: string; fileId: string; name: string; storageKey: string; size: number | null };
export type RunError = { code: string; message: string; step: number | null };

export const ExecutionEntity = defineEntity({
  name: 'Execution',
  tableName: 'executions',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    workflowId: p.uuid(),
    workflowVersionId: p.uuid(),
    inputFileId: p.uuid(),
    inputFileName: p.string(),
    inputStorageKey: p.string(),
    /** The input's size in bytes when the run was accepted (null for runs accepted before it was kept): lets the
     * engine report a csv's progress as a percentage. */
    inputSize: p.bigint('number').nullable(),
    /** The other files given to the run, by key (null when none were): checked when it was accepted, as the input. */
    files: p.json<RunFileRef[]>().nullable(),
    /** The version's steps as they were when the run was accepted: a run never changes under a worker. */
    steps: p.json<StepSpec[]>(),
    status: p.enum(STATUSES),
    phase: p.enum(PHASES).nullable(),
    progressPercent: p.double().nullable(),
    rowsProcessed: p.bigint('number').default(0),
    idempotencyKey: p.string().length(200),
    requestedBy: p.string(),
    error: p.json<RunError>().nullable(),
    artifacts: p.json<ArtifactRef[]>().nullable(),
    attempt: p.integer().default(0),
    leaseOwner: p.string().nullable(),
    leaseExpiresAt: p.datetime().nullable(),
    sequence: p.bigint('number').default(0),
    retryOf: p.uuid().nullable(),
    /** How long the run may take from its first start, redos included, before it ends TIMED_OUT. */
    timeoutMs: p.integer().default(900_000),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
});
export type Execution = InstanceType<typeof ExecutionEntity.class>;

export const StepRunEntity = defineEntity({
  name: 'StepRun',
  tableName: 'step_runs',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    executionId: p.uuid(),
    index: p.integer(),
    type: p.string(),
    status: p.string(),
    rowsIn: p.bigint('number'),
    rowsOut: p.bigint('number'),
    durationMs: p.integer(),
  },
});
export type StepRun = InstanceType<typeof StepRunEntity.class>;

export const ExecutionLogEntity = defineEntity({
  name: 'ExecutionLog',
  tableName: 'execution_logs',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    executionId: p.uuid(),
    at: p.datetime(),
    level: p.string(),
    message: p.text(),
    step: p.integer().nullable(),
  },
});
export type ExecutionLog = InstanceType<typeof ExecutionLogEntity.class>;

export const entities = [ExecutionEntity, StepRunEntity, ExecutionLogEntity];
