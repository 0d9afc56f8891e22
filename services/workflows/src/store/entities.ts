import { defineEntity, p } from '@mikro-orm/core';
import { tenantFilter } from '@rowline/kit';

export const WorkflowEntity = defineEntity({
  name: 'Workflow',
  tableName: 'workflows',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    name: p.string().length(200),
    description: p.text().default(''),
    status: p.enum(['ACTIVE', 'ARCHIVED'] as const).default('ACTIVE'),
    latestVersionId: p.uuid().nullable(),
    latestVersionNumber: p.integer().default(0),
    createdBy: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type Workflow = InstanceType<typeof WorkflowEntity.class>;

/** Versions are immutable: rows are inserted, never updated. */
export const WorkflowVersionEntity = defineEntity({
  name: 'WorkflowVersion',
  tableName: 'workflow_versions',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    workflowId: p.uuid(),
    number: p.integer(),
    steps: p.json<Array<{ type: string; params: Record<string, unknown> }>>(),
    note: p.text().default(''),
    createdBy: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type WorkflowVersion = InstanceType<typeof WorkflowVersionEntity.class>;

export const entities = [WorkflowEntity, WorkflowVersionEntity];
