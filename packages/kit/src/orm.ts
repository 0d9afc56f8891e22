import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import type { EntitySchema, FilterDef } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { Migration } from '@mikro-orm/migrations';
import type { Logger } from './logger.js';
import { fixRollbackOnDeadConnections } from './pg-rollback-fix.js';

export type { EntityManager };
export type Orm = MikroORM;

/**
 * The tenant filter every tenant-owned entity carries. It has no default arguments on purpose: a query
 * through an entity manager that was never told its tenant fails loudly instead of reading every tenant.
 */
export const TENANT_FILTER = 'tenant';
export const tenantFilter: Record<string, FilterDef> = {
  [TENANT_FILTER]: { name: TENANT_FILTER, cond: (args: { tenantId: string }) => ({ tenantId: args.tenantId }), default: true },
};

export type OrmOptions = {
  url: string;
  /** The service's own Postgres schema; no service reads another's. */
  schema: string;
  entities: EntitySchema<any, any>[];
  migrations: Array<new (...args: any[]) => Migration>;
  logger?: Logger;
  pool?: { min?: number; max?: number };
  extra?: Partial<Options>;
};

/** One ORM per service, bound to that service's schema; created in `main.ts` and passed down. */
export async function createOrm(opts: OrmOptions): Promise<MikroORM> {
  fixRollbackOnDeadConnections();
  return MikroORM.init({
    clientUrl: opts.url,
    schema: opts.schema,
    entities: opts.entities,
    extensions: [Migrator],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ensureDatabase: false,
    pool: { min: opts.pool?.min ?? 0, max: opts.pool?.max ?? 10 },
    migrations: {
      migrationsList: opts.migrations.map((m) => ({ name: m.name, class: m })),
      tableName: `${opts.schema}.mikro_orm_migrations`,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    logger: (message) => opts.logger?.debug({ orm: true }, message),
    ...opts.extra,
  });
}

/** Creates the schema when missing and applies the committed migrations, in one transaction. */
export async function migrate(orm: MikroORM, schema: string): Promise<void> {
  await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  await orm.migrator.up();
}

/** A per-request entity manager, scoped to one tenant by the tenant filter. */
export function tenantEm(orm: MikroORM, tenantId: string): EntityManager {
  const em = orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  return em;
}

/**
 * The tenant a `tenantEm` is scoped to, for a statement written by hand (where the ORM's filter does not reach) that
 * must name it. Throws for an entity manager without one, as the filter does.
 */
export function tenantOf(em: EntityManager): string {
  const tenantId = em.getFilterParams<{ tenantId?: string }>(TENANT_FILTER)?.tenantId;
  if (!tenantId) throw new Error('This entity manager is not scoped to a tenant');
  return tenantId;
}

/**
 * An entity manager for system work (workers, relays) that spans tenants. Its queries must pass
 * `filters: { [TENANT_FILTER]: false }` explicitly, so every cross-tenant read is visible in review.
 */
export function systemEm(orm: MikroORM): EntityManager {
  return orm.em.fork();
}
