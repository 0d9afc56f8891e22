import { raw } from '@mikro-orm/core';
import { childCounts, childPageIds, countWithin, tenantOf, type ChildTable, type EntityManager } from '@rowline/kit';
import { RouteEntity, type Route } from './entities.js';

/** What a route list is of: its workflow's routes (`Workflow.routes`) or its destination's (`Destination.routes`). */
export type RouteParent = 'workflow' | 'destination';

const TABLES: Record<RouteParent, ChildTable> = {
  workflow: { schema: 'delivery', table: 'routes', parent: 'workflow_id' },
  destination: { schema: 'delivery', table: 'routes', parent: 'destination_id' },
};
const parentOf = (by: RouteParent, route: Route): string => (by === 'workflow' ? route.workflowId : route.destinationId);

/**
 * The same page (`first + 1` routes after the cursor, oldest first) of each of several workflows or destinations of the
 * request's tenant, in one statement: what `findPage` reads for one, for each of them (a probe of
 * `routes_tenant_<parent>_id_idx` per parent, then those routes by id). Each id of `parentIds` (distinct, canonical
 * lowercase) answers its routes, oldest first, or none (another tenant's workflow or destination).
 */
export async function routePages(
  em: EntityManager, by: RouteParent, parentIds: readonly string[], page: { first: number; afterId?: string },
): Promise<Map<string, Route[]>> {
  const pageIds = childPageIds(TABLES[by], tenantOf(em), parentIds, page, 'asc');
  // The tenant filter scopes the routes read by id too, as findPage's second step.
  const routes = await em.find(RouteEntity, { id: { $in: raw(pageIds.sql, pageIds.params) } } as never, { orderBy: { id: 'asc' } });
  const byParent = new Map<string, Route[]>(parentIds.map((id) => [id, []]));
  for (const route of routes) byParent.get(parentOf(by, route))?.push(route);
  return byParent;
}

/**
 * The number of routes of each of several workflows or destinations of the request's tenant, in one grouped statement
 * under the count's timeout (`countWithin`: over it, every count of the batch fails with COUNT_TIMEOUT). Absent: 0.
 */
export function routeCounts(em: EntityManager, by: RouteParent, parentIds: readonly string[]): Promise<Map<string, number>> {
  return countWithin(em, async (tx) => {
    const counts = childCounts(TABLES[by], tenantOf(em), parentIds);
    const rows = await tx.execute<Array<{ parent: string; n: number }>>(counts.sql, counts.params);
    return new Map(rows.map((r) => [r.parent, r.n]));
  });
}
