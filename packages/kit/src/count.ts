import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { AppError } from './errors.js';
import { EnvError } from './env.js';
import type { EntityManager } from './orm.js';
import { decodeCursor, type Count, type Page } from './pagination.js';

/**
 * How long one list's `totalCount` may run (`COUNT_TIMEOUT_MS`, default 2000), read once when the kit loads:
 * a count reads an index entry per match, and a huge tenant's must not hold a pooled connection for long.
 */
export const COUNT_TIMEOUT_MS = countTimeoutFrom(process.env);

export function countTimeoutFrom(env: NodeJS.ProcessEnv): number {
  const parsed = z.coerce.number().int().min(1).max(600_000).default(2000).safeParse(env.COUNT_TIMEOUT_MS || undefined);
  if (!parsed.success) throw new EnvError(parsed.error.issues.map((i) => `COUNT_TIMEOUT_MS: ${i.message}`));
  return parsed.data;
}

/** SQLSTATE query_canceled: what Postgres answers when `statement_timeout` ends a statement. */
const QUERY_CANCELED = '57014';

/**
 * A list's count: `where` counted through `em` (the request's entity manager, so the tenant filter or the explicit
 * tenant id of `where` scopes it exactly as the page) under a statement timeout (`countWithin`).
 */
export function boundedCount<T extends object>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<NoInfer<T>>, timeoutMs: number = COUNT_TIMEOUT_MS,
): Count {
  return () => countWithin(em, (tx) => tx.count<T>(entity, where), timeoutMs);
}

/**
 * Runs `count` (one counting statement, or a grouped one for the counts of several lists) through `em` under a
 * statement timeout. It runs in a transaction of its own, a fork of `em` that keeps its filter parameters, so that
 * `set local` ends with it and the pooled connection goes back with the server's timeout. Over time it throws
 * COUNT_TIMEOUT: each `totalCount` that waits for it answers null with that error at its path, and the rest of the
 * response stands.
 */
export async function countWithin<R>(em: EntityManager, count: (tx: EntityManager) => Promise<R>, timeoutMs: number = COUNT_TIMEOUT_MS): Promise<R> {
  try {
    return await em.transactional(async (tx) => {
      await tx.execute(`set local statement_timeout = ${Math.trunc(timeoutMs)}`);
      return count(tx);
    }, { clear: true, readOnly: true });
  } catch (err) {
    if ((err as { code?: unknown }).code !== QUERY_CANCELED) throw err;
    throw new AppError('COUNT_TIMEOUT', `totalCount could not be counted within ${timeoutMs} ms`, { timeoutMs });
  }
}

/**
 * A list's page of `entity` under `where` (the list's filters, the tenant's scoping coming from `em` or from
 * `where`): `first + 1` rows from the cursor `after` on, in id order (`asc`, or `desc` for newest first), and its
 * bounded count of `where` alone.
 *
 * The page is read in two steps of one statement: the page's ids (`select id ... order by id limit first + 1`),
 * then their rows by id. Asked for whole rows in id order, Postgres often walked the primary key and dropped
 * other tenants' rows one by one: it prices that walk as if the tenant's rows were spread evenly over the table,
 * and a tenant whose newest rows are weeks old (or, oldest first, who joined late) had a page read hundreds of
 * thousands of rows. Asked for ids alone, an index that leads with the tenant, holds the list's filters and ends
 * with the id answers the page from its own entries (an index-only scan, which the primary key cannot offer) and
 * is chosen for it: each list keeps one such index per filter a client can send (the services' READMEs).
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<NoInfer<T>>, page: { first: number; after?: string | null }, order: 'asc' | 'desc',
): Promise<Page<T>> {
  const afterId = decodeCursor(page.after);
  const from = afterId ? { $and: [where, { id: { [order === 'asc' ? '$gt' : '$lt']: afterId } }] } : where;
  const ids = em.createQueryBuilder(entity, 'page').select('id' as never).where(from as never).orderBy({ id: order } as never).limit(page.first + 1);
  // A query builder leaves the entity's filters (the tenant's) out unless told: the ids must be the tenant's own.
  await ids.applyFilters();
  const rows = await em.find(entity, { id: { $in: ids } } as FilterQuery<NoInfer<T>>, { orderBy: { id: order } as never });
  return { rows: rows as T[], count: boundedCount(em, entity, where) };
}
