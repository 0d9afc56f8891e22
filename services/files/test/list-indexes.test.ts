import { createLogger, createOrm, migrate, newId, type Orm } from '@rowline/kit';
import { createTestDatabase, indexesOf, type TestDatabase } from '@rowline/testing';
import { loadDataset } from '@rowline/testing/lists-bench';
import { listPlanProblems, type PlannedList } from '@rowline/testing/plans';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as files from '../src/domain/files.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'files-test', level: 'silent' });
const MIGRATION = 'Migration20261201140001';
const ADDED = { files_tenant_id_status_idx: '(tenant_id, id) INCLUDE (status)', files_tenant_kind_id_status_idx: '(tenant_id, kind, id) INCLUDE (status)' };
const REPLACED = ['files_tenant_id_idx', 'files_tenant_kind_id_idx'];

/** The index each page reads its ids from, and the one a count by kind reads. */
const expected = (l: { filter: string }) => (l.filter === 'none'
  ? { index: 'files_tenant_id_status_idx' }
  : { index: 'files_tenant_kind_id_status_idx', countIndex: 'files_tenant_kind_id_status_idx' });

const open = (db: TestDatabase, list = migrations) => createOrm({ url: db.url, schema: SCHEMA, entities, migrations: list, logger });

async function withClient<T>(db: TestDatabase, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function migrateWith(db: TestDatabase, list = migrations) {
  const orm = await open(db, list);
  try {
    await migrate(orm, SCHEMA);
  } finally {
    await orm.close();
  }
}

describe(`${MIGRATION} (the lists' indexes)`, () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase('files_list_indexes'); });
  afterAll(async () => { await db?.drop(); });

  it('applies on a database at the previous version that holds files, keeping them', async () => {
    await migrateWith(db, migrations.slice(0, -1));
    const tenant = newId();
    await withClient(db, async (client) => {
      await client.query(`insert into files.files (id, tenant_id, name, size, status, kind, storage_key, created_by, created_at, updated_at)
        select gen_random_uuid(), $1::uuid, 'f' || i || '.csv', 10, case when i % 4 = 0 then 'DELETED' else 'READY' end,
          case when i % 2 = 0 then 'INPUT' else 'ARTIFACT' end, $1::text || '/files/' || i, 'user-1', now(), now()
        from generate_series(1, 40) i`, [tenant]);
    });
    await migrateWith(db);
    const indexes = await indexesOf(db.url, SCHEMA);
    for (const [name, columns] of Object.entries(ADDED)) {
      expect(indexes.get(name)?.valid, name).toBe(true);
      expect(indexes.get(name)?.definition, name).toContain(columns);
    }
    for (const name of REPLACED) expect(indexes.has(name), name).toBe(false);
    const [row] = await withClient(db, async (client) => (await client.query('select count(*)::int as n from files.files')).rows);
    expect(row.n).toBe(40);
  });

  it('drops an invalid index of its names (a concurrent build that failed) and builds it again', async () => {
    // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
    await withClient(db, (client) => client.query(`update pg_index set indisvalid = false where indexrelid = 'files.files_tenant_kind_id_status_idx'::regclass`));
    const invalid = (await indexesOf(db.url, SCHEMA)).get('files_tenant_kind_id_status_idx')!;
    expect(invalid.valid).toBe(false);
    await withClient(db, (client) => client.query(`delete from files.mikro_orm_migrations where name = $1`, [MIGRATION]));
    await migrateWith(db);
    const rebuilt = (await indexesOf(db.url, SCHEMA)).get('files_tenant_kind_id_status_idx')!;
    expect(rebuilt.valid).toBe(true);
    expect(rebuilt.oid).not.toBe(invalid.oid);
  });
});

describe('files(kind), on an analyzed dataset of one big tenant and 50 small ones', () => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase('files_list_plans');
    orm = await open(db);
    await migrate(orm, SCHEMA);
    await withClient(db, (client) => loadDataset(client, (sql) => load(sql, { big: 20_000, small: 400 }), tables));
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it("reads its page's ids, and counts a kind, from the tenant's index entries alone", async () => {
    const lists = await cases(files, orm, async (text: string) => orm.em.fork().getConnection().execute(text));
    expect(await listPlanProblems(orm, lists.map((l: PlannedList) => ({ ...l, ...expected(l) })))).toEqual([]);
  });
});
