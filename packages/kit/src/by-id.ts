import { wrap, type EntityName } from '@mikro-orm/core';
import { batchLoader, perRequest } from './batch.js';
import { isUuid } from './ids.js';
import type { EntityManager } from './orm.js';

/**
 * Reads rows of `entity` by id as `em.findOne(entity, { id })` answers each (the entity manager's tenant filter and
 * identity map), but the ids asked for in one turn of one request in one statement (`id in (...)`): the gateway's
 * `_entities` call with fifty representations runs a reference resolver fifty times in one turn, and a field that
 * names one row (`Workflow.latestVersion`, `Delivery.destination`) runs once per item of a list.
 *
 * Answers null for an id that is no row of the tenant's (another tenant's, a missing one), and for a malformed one
 * without a statement, as the callers' `isUuid` check did before: Postgres would refuse to cast it, failing the
 * statement of every id of its batch. A row already in the request's identity map is answered from it, as `findOne`
 * does. The entity must have an `id` (a uuid) as its primary key.
 */
export function rowsById<T extends { id: string }>(entity: EntityName<T>) {
  const loads = perRequest<(id: string) => Promise<T | null>>();
  return (em: EntityManager, id: string): Promise<T | null> => {
    if (!isUuid(id)) return Promise.resolve(null);
    // Postgres writes a uuid in lowercase, and the rows come back keyed so; the comparison is of uuids, in any case.
    const key = id.toLowerCase();
    const known = em.getUnitOfWork().getById<T>(entity as never, key as never);
    if (known && wrap(known).isInitialized()) return Promise.resolve(known);
    const load = loads(em, '', () => batchLoader(async (ids: readonly string[]) => {
      const rows = await em.find(entity, { id: { $in: [...ids] } } as never) as T[];
      return new Map(rows.map((row) => [row.id, row]));
    }, null));
    return load(key);
  };
}
