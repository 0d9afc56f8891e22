import { childCountsWithin, childPages, type ChildTable, type EntityManager } from '@rowline/kit';
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
export function routePages(
  em: EntityManager, by: RouteParent, parentIds: readonly string[], page: { first: number; afterId?: string },
): Promise<Map<string, Route[]>> {
  return childPages<Route>(em, RouteEntity, TABLES[by], parentIds, page, 'asc', (route) => parentOf(by, route));
}

/**
 * The number of routes of each of several workflows or destinations of the request's tenant, in one grouped statement
 * under the count's timeout (`countWithin`: over it, every count of the batch fails with COUNT_TIMEOUT). Absent: 0.
 */
export function routeCounts(em: EntityManager, by: RouteParent, parentIds: readonly string[]): Promise<Map<string, number>> {
  return childCountsWithin(em, TABLES[by], parentIds);
}
