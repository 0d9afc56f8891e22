import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexesOf } from './indexes.js';
import { loadDataset, type ListCase } from './lists-bench.js';
import { listPlanProblems, type ExplainingOrm, type PlannedList } from './plans.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * The tests that pin a service's lists to their indexes (`services/<name>/test/list-indexes.test.ts`): the migration
 * that builds those indexes, over existing rows and over a failed concurrent build of one of them, and the plans of
 * every list on an analyzed dataset. The service gives what is its own: its ORM, its expected indexes, its seed rows
 * and its dataset (`bench/lists-dataset.mjs`, shared with its lists benchmark).
 */

/** Runs `use` on a connection of its own to `url`, closed once `use` settles. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A MikroORM instance, named structurally: this package does not depend on the ORM or on `@rowline/kit`. */
type ClosableOrm = ExplainingOrm & { close(): Promise<void> };

/** The options of `createOrm` of `@rowline/kit` that the tests read; the service's own carry its entities and logger too. */
type OrmOptions = { schema: string; migrations: Array<{ name: string }> };

/**
 * A service's database as the tests open it: `createOrm` and `migrate` of `@rowline/kit`, passed in, and the service's
 * options of `createOrm` but the URL.
 */
export type MigratedService<O extends ClosableOrm, Options extends OrmOptions> = {
  /** Names the tests' databases (`<label>_list_indexes`, `<label>_list_plans`). */
  label: string;
  options: Options;
  createOrm(options: Options & { url: string }): Promise<O>;
  migrate(orm: O, schema: string): Promise<void>;
};

/** The service's ORM on `url`, applying `migrations` (by default, all of the service's) when migrated. */
function open<O extends ClosableOrm, Options extends OrmOptions>(
  service: MigratedService<O, Options>, url: string, migrations: Options['migrations'] = service.options.migrations,
): Promise<O> {
  return service.createOrm({ ...service.options, url, migrations });
}

/** Opens an ORM on `url` with `migrations`, applies them, and closes it. */
async function migrateWith<O extends ClosableOrm, Options extends OrmOptions>(
  service: MigratedService<O, Options>, url: string, migrations?: Options['migrations'],
): Promise<void> {
  const orm = await open(service, url, migrations);
  try {
    await service.migrate(orm, service.options.schema);
  } finally {
    await orm.close();
  }
}

export type ListIndexMigration = {
  /** The migration's name, as `mikro_orm_migrations` records it (`Migration20261201140001`). */
  name: string;
  /** The indexes it builds, each with the columns its definition must hold (`(tenant_id, type, id)`). */
  added: Record<string, string>;
  /** The indexes it drops. */
  replaced: string[];
  /** One of `added`, left invalid as a failed `create index concurrently` leaves it, which the migration must build again. */
  rebuilds: string;
  /** Rows written at the previous version, which the migration must keep. */
  seed: {
    /** What they are, for the test's name (`an audit log`). */
    holds: string;
    /** The table whose rows are counted afterwards, schema-qualified, and how many it must hold. */
    table: string;
    rows: number;
    insert(client: pg.Client): Promise<unknown>;
  };
};

/** The database of `describeListIndexMigration`, for a service's further tests of the migration in the same block. */
export type ListIndexMigrationDatabase = {
  /** Its URL, once the block's `beforeAll` has run. */
  readonly url: string;
  /** Applies every migration of the service. */
  migrate(): Promise<void>;
};

/**
 * A block of tests of `migration` on a database of its own: it applies over a database at the previous version that
 * holds rows, builds its indexes valid and with their columns, drops the ones it replaces, and keeps the rows; and
 * applied again, it drops an invalid index of its names and builds it anew. `more` adds tests of the service's own
 * to the block; they run after these, on the same database, with the migration applied.
 */
export function describeListIndexMigration<O extends ClosableOrm, Options extends OrmOptions>(
  service: MigratedService<O, Options>, migration: ListIndexMigration, more?: (db: ListIndexMigrationDatabase) => void,
): void {
  const { schema, migrations } = service.options;
  const at = migrations.findIndex((m) => m.name === migration.name);
  if (at < 0) throw new Error(`${migration.name} is not one of the ${schema} migrations`);

  describe(`${migration.name} (the lists' indexes)`, () => {
    let db: TestDatabase;
    beforeAll(async () => { db = await createTestDatabase(`${service.label}_list_indexes`); });
    afterAll(async () => { await db?.drop(); });
    const latest = () => migrateWith(service, db.url);

    it(`applies on a database at the previous version that holds ${migration.seed.holds}, keeping its rows`, async () => {
      await migrateWith(service, db.url, migrations.slice(0, at));
      await withClient(db.url, (client) => migration.seed.insert(client));
      await latest();
      const indexes = await indexesOf(db.url, schema);
      for (const [name, columns] of Object.entries(migration.added)) {
        expect(indexes.get(name)?.valid, name).toBe(true);
        expect(indexes.get(name)?.definition, name).toContain(columns);
      }
      for (const name of migration.replaced) expect(indexes.has(name), name).toBe(false);
      const [row] = await withClient(db.url, async (client) => (await client.query(`select count(*)::int as n from ${migration.seed.table}`)).rows);
      expect(row.n).toBe(migration.seed.rows);
    });

    it('drops an invalid index of its names (a concurrent build that failed) and builds it again', async () => {
      const name = migration.rebuilds;
      // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
      await withClient(db.url, (client) => client.query(`update pg_index set indisvalid = false where indexrelid = $1::regclass`, [`${schema}.${name}`]));
      const invalid = (await indexesOf(db.url, schema)).get(name)!;
      expect(invalid.valid).toBe(false);
      await withClient(db.url, (client) => client.query(`delete from ${schema}.mikro_orm_migrations where name = $1`, [migration.name]));
      await latest();
      const rebuilt = (await indexesOf(db.url, schema)).get(name)!;
      expect(rebuilt.valid).toBe(true);
      expect(rebuilt.oid).not.toBe(invalid.oid);
    });

    more?.({ get url() { return db.url; }, migrate: latest });
  });
}

/** The rows of the big tenant and of each of the 50 small ones in the plans' dataset (the benchmarks load 200,000 and 4,000). */
const DATASET_ROWS = { big: 20_000, small: 400 };

export type ListPlans<O> = {
  /** The block's name and its test's, as sentences: which lists, on which dataset; what their plans do. */
  title: string;
  test: string;
  /** The dataset: `load` and `tables` of the service's `bench/lists-dataset.mjs`, loaded at `DATASET_ROWS`. */
  load(sql: (text: string) => Promise<unknown>, rows: { big: number; small: number }): Promise<void>;
  tables: string[];
  /** The lists under each filter; `sql` answers rows, to find the ids a case needs. */
  cases(orm: O, sql: (text: string) => Promise<Array<Record<string, unknown>>>): ListCase[] | Promise<ListCase[]>;
  /** The index a case's page must read its ids from, and the one its count must read, where it has one. */
  expected(list: ListCase): Pick<PlannedList, 'index' | 'countIndex'>;
};

/**
 * A block that loads a dataset on a migrated database of its own, vacuumed and analyzed, and checks the plan of
 * every case's page and count against `expected` (`listPlanProblems`: none may be found).
 */
export function describeListPlans<O extends ClosableOrm, Options extends OrmOptions>(
  service: MigratedService<O, Options>, plans: ListPlans<O>,
): void {
  describe(plans.title, () => {
    let db: TestDatabase;
    let orm: O;
    beforeAll(async () => {
      db = await createTestDatabase(`${service.label}_list_plans`);
      orm = await open(service, db.url);
      await service.migrate(orm, service.options.schema);
      await withClient(db.url, (client) => loadDataset(client, (sql) => plans.load(sql, DATASET_ROWS), plans.tables));
    });
    afterAll(async () => {
      await orm?.close();
      await db?.drop();
    });

    it(plans.test, async () => {
      const sql = async (text: string) => (await orm.em.getConnection().execute(text)) as Array<Record<string, unknown>>;
      const lists = await plans.cases(orm, sql);
      expect(await listPlanProblems(orm, lists.map((l) => ({ ...l, ...plans.expected(l) })))).toEqual([]);
    });
  });
}
