import { raw } from '@mikro-orm/core';
import { childCounts, childPageIds, countWithin, tenantOf, type ChildTable, type EntityManager } from '@rowline/kit';
import { WorkflowVersionEntity, type WorkflowVersion } from './entities.js';

const VERSIONS: ChildTable = { schema: 'workflows', table: 'workflow_versions', parent: 'workflow_id' };

/**
 * The same page (`first + 1` versions from the cursor on, newest first) of each of several workflows of the
 * request's tenant, in one statement: what `findPage` reads for one workflow, for each of them (a probe of
 * `workflow_versions_tenant_workflow_id_idx` per workflow, then those versions by id). Each id of `workflowIds`
 * (distinct, canonical lowercase) answers its versions, newest first, or none (another tenant's workflow).
 */
export async function versionPages(
  em: EntityManager, workflowIds: readonly string[], page: { first: number; afterId?: string },
): Promise<Map<string, WorkflowVersion[]>> {
  const pageIds = childPageIds(VERSIONS, tenantOf(em), workflowIds, page, 'desc');
  // The tenant filter scopes the versions read by id too, as findPage's second step.
  const versions = await em.find(WorkflowVersionEntity, { id: { $in: raw(pageIds.sql, pageIds.params) } } as never, { orderBy: { id: 'desc' } });
  const byWorkflow = new Map<string, WorkflowVersion[]>(workflowIds.map((id) => [id, []]));
  for (const version of versions) byWorkflow.get(version.workflowId)?.push(version);
  return byWorkflow;
}

/**
 * The number of versions of each of several workflows of the request's tenant, in one grouped statement under the
 * count's timeout (`countWithin`: over it, every count of the batch fails with COUNT_TIMEOUT). Absent: 0.
 */
export function versionCounts(em: EntityManager, workflowIds: readonly string[]): Promise<Map<string, number>> {
  return countWithin(em, async (tx) => {
    const counts = childCounts(VERSIONS, tenantOf(em), workflowIds);
    const rows = await tx.execute<Array<{ parent: string; n: number }>>(counts.sql, counts.params);
    return new Map(rows.map((r) => [r.parent, r.n]));
  });
}
