import { raw, type EntityName } from '@mikro-orm/core';
import { countWithin } from './count.js';
import { tenantOf, type EntityManager } from './orm.js';

/**
 * The SQL of a nested list read for many parents at once (`Workflow.executions`, `Workflow.versions`, `Destination.routes`):
 * what `findPage` and `boundedCount` read for one parent, for each of the parents asked for in one request.
 *
 * The table must hold an index `(tenant_id, <parent>, id)`: each parent's page is a probe of it (an index-only scan,
 * `order by id limit first + 1` from the cursor on), and the grouped count reads the same entries.
 */
export type ChildTable = {
  /** Schema and table, as created by the service's migrations. */
  schema: string; table: string;
  /** The column naming each row's parent (`workflow_id`). */
  parent: string;
};

export type Statement = { sql: string; params: unknown[] };

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** Identifiers come from code, never from a client; the check keeps a typo from becoming SQL. */
function quoted(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/**
 * The ids of each parent's page, as one statement: `first + 1` rows of `tenantId` whose parent is that parent,
 * after `afterId` in `order` (`asc`: ids above it, oldest first; `desc`: below it, newest first). Read as a subquery
 * (`id in (...)`) for the rows themselves, as `findPage`'s second step. `parentIds`: uuids, each probed once.
 */
export function childPageIds(
  of: ChildTable, tenantId: string, parentIds: readonly string[], page: { first: number; afterId?: string }, order: 'asc' | 'desc',
): Statement {
  const table = `${quoted(of.schema)}.${quoted(of.table)}`;
  const after = page.afterId ? ` and "x"."id" ${order === 'asc' ? '>' : '<'} ?` : '';
  return {
    sql: `select "p"."id" from unnest(array[?]::uuid[]) as "w"("id") cross join lateral (
      select "x"."id" from ${table} as "x"
      where "x"."tenant_id" = ? and "x".${quoted(of.parent)} = "w"."id"${after}
      order by "x"."id" ${order} limit ?) as "p"`,
    params: [[...parentIds], tenantId, ...(page.afterId ? [page.afterId] : []), page.first + 1],
  };
}

/**
 * The number of rows of `tenantId` of each parent, as one grouped statement answering rows of `parent` (the parent's
 * id) and `n`; a parent without rows (or another tenant's) is absent. Run it under `countWithin`. It begins as a
 * count does (`select count(`), so that the tests that find a list's count among its statements find this one.
 */
export function childCounts(of: ChildTable, tenantId: string, parentIds: readonly string[]): Statement {
  const parent = quoted(of.parent);
  return {
    sql: `select count(*)::int as "n", ${parent} as "parent" from ${quoted(of.schema)}.${quoted(of.table)}
      where "tenant_id" = ? and ${parent} = any(array[?]::uuid[]) group by ${parent}`,
    params: [tenantId, [...parentIds]],
  };
}

/**
 * Each parent's page of rows, as `findPage` reads them for one parent, for every parent at once: the ids of
 * `childPageIds`, then those rows by id through `em` (whose tenant filter scopes them too, as `findPage`'s second
 * step), by `parentOf`. Each id of `parentIds` (distinct, canonical lowercase) answers its rows in `order`, or none
 * (another tenant's parent). The entity must have an `id` (a uuid) and a mapped parent property.
 */
export async function childPages<T extends { id: string }>(
  em: EntityManager, entity: EntityName<T>, of: ChildTable, parentIds: readonly string[],
  page: { first: number; afterId?: string }, order: 'asc' | 'desc', parentOf: (row: T) => string,
): Promise<Map<string, T[]>> {
  const ids = childPageIds(of, tenantOf(em), parentIds, page, order);
  const rows = await em.find(entity, { id: { $in: raw(ids.sql, ids.params) } } as never, { orderBy: { id: order } } as never) as T[];
  const byParent = new Map<string, T[]>(parentIds.map((id) => [id, []]));
  for (const row of rows) byParent.get(parentOf(row))?.push(row);
  return byParent;
}

/**
 * Each parent's number of rows (`childCounts`), under the count's timeout (`countWithin`: over it, every count of
 * the batch fails with COUNT_TIMEOUT). A parent without rows, or another tenant's, is absent: 0.
 */
export function childCountsWithin(em: EntityManager, of: ChildTable, parentIds: readonly string[]): Promise<Map<string, number>> {
  return countWithin(em, async (tx) => {
    const counts = childCounts(of, tenantOf(em), parentIds);
    const rows = await tx.execute<Array<{ parent: string; n: number }>>(counts.sql, counts.params);
    return new Map(rows.map((r) => [r.parent, r.n]));
  });
}
