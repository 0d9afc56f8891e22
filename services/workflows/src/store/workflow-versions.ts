import { childCountsWithin, childPages, type ChildTable, type EntityManager } from '@rowline/kit';
import { WorkflowVersionEntity, type WorkflowVersion } from './entities.js';

const VERSIONS: ChildTable = { schema: 'workflows', table: 'workflow_versions', parent: 'workflow_id' };

/**
 * The same page (`first + 1` versions from the cursor on, newest first) of each of several workflows of the
 * request's tenant, in one statement: what `findPage` reads for one workflow, for each of them (a probe of
 * `workflow_versions_tenant_workflow_id_idx` per workflow, then those versions by id). Each id of `workflowIds`
 * (distinct, canonical lowercase) answers its versions, newest first, or none (another tenant's workflow).
 */
export function versionPages(
  em: EntityManager, workflowIds: readonly string[], page: { first: number; afterId?: string },
): Promise<Map<string, WorkflowVersion[]>> {
  return childPages<WorkflowVersion>(em, WorkflowVersionEntity, VERSIONS, workflowIds, page, 'desc', (version) => version.workflowId);
}

/**
 * The number of versions of each of several workflows of the request's tenant, in one grouped statement under the
 * count's timeout (`countWithin`: over it, every count of the batch fails with COUNT_TIMEOUT). Absent: 0.
 */
export function versionCounts(em: EntityManager, workflowIds: readonly string[]): Promise<Map<string, number>> {
  return childCountsWithin(em, VERSIONS, workflowIds);
}
