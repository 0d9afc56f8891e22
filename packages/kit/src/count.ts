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
 * tenant id of `where` scopes it exactly as the page) under a statement timeout. The count runs in a transaction of
 * its own, a fork of `em` that keeps its filter parameters, so that `set local` ends with it and the pooled
 * connection goes back with the server's timeout. Over time it throws COUNT_TIMEOUT: `totalCount` answers null
 * with that error at its path, and the rest of the response stands.
 */
export function boundedCount<T extends object>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<NoInfer<T>>, timeoutMs: number = COUNT_TIMEOUT_MS,
): Count {
  return async () => {
    try {
      return await em.transactional(async (tx) => {
        await tx.execute(`set local statement_timeout = ${Math.trunc(timeoutMs)}`);
        return tx.count<T>(entity, where);
      }, { clear: true, readOnly: true });
    } catch (err) {
      if ((err as { code?: unknown }).code !== QUERY_CANCELED) throw err;
      throw new AppError('COUNT_TIMEOUT', `totalCount could not be counted within ${timeoutMs} ms`, { timeoutMs });
    }
  };
}

/**
 * A list's page of `entity` under `where` (the list's filters, the tenant's scoping coming from `em` or from
 * `where`): `first + 1` rows from the cursor `after` on, in id order (`asc`, or `desc` for newest first), and its
 * bounded count of `where` alone.
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<NoInfer<T>>, page: { first: number; after?: string | null }, order: 'asc' | 'desc',
): Promise<Page<T>> {
  const afterId = decodeCursor(page.after);
  const from = afterId ? { ...(where as object), id: { [order === 'asc' ? '$gt' : '$lt']: afterId } } : where;
  const rows = await em.find(entity, from as FilterQuery<NoInfer<T>>, { orderBy: { id: order } as never, limit: page.first + 1 });
  return { rows: rows as T[], count: boundedCount(em, entity, where) };
}
