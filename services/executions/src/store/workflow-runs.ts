import { childCountsWithin, childPages, type ChildTable, type EntityManager } from '@rowline/kit';
import { ExecutionEntity, type Execution } from './entities.js';

const RUNS: ChildTable = { schema: 'executions', table: 'executions', parent: 'workflow_id' };

/**
 * The same page (`first + 1` runs from the cursor on, newest first) of each of several workflows of the request's
 * tenant, in one statement: what `findPage` reads for one workflow, for each of them. The page's ids come from a
 * probe of `executions_workflow_idx (tenant_id, workflow_id, id)` per workflow (`unnest` of the ids, a lateral
 * `order by id desc limit first + 1` on each), then those runs by id, as `findPage` does. Each id of `workflowIds`
 * (distinct, canonical lowercase) answers its runs, newest first, or none: another tenant's workflow has none here.
 */
export function workflowPages(
  em: EntityManager, workflowIds: readonly string[], page: { first: number; afterId?: string },
): Promise<Map<string, Execution[]>> {
  return childPages<Execution>(em, ExecutionEntity, RUNS, workflowIds, page, 'desc', (run) => run.workflowId);
}

/**
 * The number of runs of each of several workflows of the request's tenant, in one grouped statement over the same
 * index entries (each workflow's, never another tenant's), under the count's timeout (`countWithin`): over it,
 * every count of the batch fails with COUNT_TIMEOUT. A workflow without runs (or another tenant's) is absent: 0.
 */
export function workflowCounts(em: EntityManager, workflowIds: readonly string[]): Promise<Map<string, number>> {
  return childCountsWithin(em, RUNS, workflowIds);
}
