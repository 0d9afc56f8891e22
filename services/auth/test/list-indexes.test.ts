import { createLogger, createOrm, migrate, newId, type Orm } from '@rowline/kit';
import { createTestDatabase, indexesOf, type TestDatabase } from '@rowline/testing';
import { loadDataset } from '@rowline/testing/lists-bench';
import { listPlanProblems, type PlannedList } from '@rowline/testing/plans';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as audit from '../src/domain/audit.js';
import * as apiKeys from '../src/domain/api-keys.js';
import * as members from '../src/domain/members.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'auth-test', level: 'silent' });
const MIGRATION = 'Migration20261201140001';
const ADDED = { audit_events_tenant_type_id_idx: '(tenant_id, type, id)' };
const REPLACED = ['audit_events_tenant_idx'];

/** The index each list's page reads its ids from, and the one its count reads where the filter has one of its own. */
function expected(l: { list: string; filter: string }) {
  if (l.list === 'members') return { index: 'memberships_tenant_idx' };
  if (l.list === 'apiKeys') return { index: 'api_keys_tenant_idx' };
  return l.filter === 'none' ? { index: 'audit_events_tenant_id_idx' } : { index: 'audit_events_tenant_type_id_idx', countIndex: 'audit_events_tenant_type_id_idx' };
}

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
  beforeAll(async () => { db = await createTestDatabase('auth_list_indexes'); });
  afterAll(async () => { await db?.drop(); });

  it('applies on a database at the previous version that holds an audit log, keeping them', async () => {
    await migrateWith(db, migrations.slice(0, -1));
    const tenant = newId();
    await withClient(db, async (client) => {
      await client.query(`insert into auth.audit_events (id, tenant_id, type, details, at)
        select gen_random_uuid(), $1, case when i % 3 = 0 then 'login.failed' else 'login.succeeded' end, '{}', now()
        from generate_series(1, 40) i`, [tenant]);
    });
    await migrateWith(db);
    const indexes = await indexesOf(db.url, SCHEMA);
    for (const [name, columns] of Object.entries(ADDED)) {
      expect(indexes.get(name)?.valid, name).toBe(true);
      expect(indexes.get(name)?.definition, name).toContain(columns);
    }
    for (const name of REPLACED) expect(indexes.has(name), name).toBe(false);
    const [row] = await withClient(db, async (client) => (await client.query('select count(*)::int as n from auth.audit_events')).rows);
    expect(row.n).toBe(40);
  });

  it('drops an invalid index of its names (a concurrent build that failed) and builds it again', async () => {
    // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
    await withClient(db, (client) => client.query(`update pg_index set indisvalid = false where indexrelid = 'auth.audit_events_tenant_type_id_idx'::regclass`));
    const invalid = (await indexesOf(db.url, SCHEMA)).get('audit_events_tenant_type_id_idx')!;
    expect(invalid.valid).toBe(false);
    await withClient(db, (client) => client.query(`delete from auth.mikro_orm_migrations where name = $1`, [MIGRATION]));
    await migrateWith(db);
    const rebuilt = (await indexesOf(db.url, SCHEMA)).get('audit_events_tenant_type_id_idx')!;
    expect(rebuilt.valid).toBe(true);
    expect(rebuilt.oid).not.toBe(invalid.oid);
  });
});

describe('members, apiKeys and auditEvents(type), on an analyzed dataset of one big tenant and 50 small ones', () => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase('auth_list_plans');
    orm = await open(db);
    await migrate(orm, SCHEMA);
    await withClient(db, (client) => loadDataset(client, (sql) => load(sql, { big: 20_000, small: 400 }), tables));
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it("read their page's ids, and count a type, from the tenant's index entries alone", async () => {
    const lists = await cases({ ...audit, ...apiKeys, ...members }, orm, async (text: string) => orm.em.fork().getConnection().execute(text));
    expect(await listPlanProblems(orm, lists.map((l: PlannedList) => ({ ...l, ...expected(l) })))).toEqual([]);
  });
});
