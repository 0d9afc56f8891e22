import { createLogger, createOrm, migrate, newId, type Orm } from '@rowline/kit';
import { createTestDatabase, indexesOf, type TestDatabase } from '@rowline/testing';
import { loadDataset } from '@rowline/testing/lists-bench';
import { listPlanProblems, type PlannedList } from '@rowline/testing/plans';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as workflows from '../src/domain/workflows.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'workflows-test', level: 'silent' });
const MIGRATION = 'Migration20261201140001';
const ADDED = { workflows_tenant_id_status_idx: '(tenant_id, id) INCLUDE (status)', workflow_versions_tenant_workflow_id_idx: '(tenant_id, workflow_id, id)' };
const REPLACED = ['workflows_tenant_id_idx', 'workflow_versions_tenant_idx'];

/** The index each page reads its ids from, and the one a count of a workflow's versions reads. */
const expected = (l: { list: string }) => (l.list === 'workflows'
  ? { index: 'workflows_tenant_id_status_idx' }
  : { index: 'workflow_versions_tenant_workflow_id_idx', countIndex: 'workflow_versions_tenant_workflow_id_idx' });

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
  beforeAll(async () => { db = await createTestDatabase('workflows_list_indexes'); });
  afterAll(async () => { await db?.drop(); });

  it('applies on a database at the previous version that holds workflows and versions, keeping them', async () => {
    await migrateWith(db, migrations.slice(0, -1));
    const tenant = newId();
    const workflow = newId();
    await withClient(db, async (client) => {
      await client.query(`insert into workflows.workflows (id, tenant_id, name, status, created_by, created_at, updated_at)
        values ($1, $2, 'weekly', 'ACTIVE', 'user-1', now(), now())`, [workflow, tenant]);
      await client.query(`insert into workflows.workflow_versions (id, tenant_id, workflow_id, number, steps, created_by, created_at)
        select gen_random_uuid(), $1, $2, i, '[]', 'user-1', now() from generate_series(1, 40) i`, [tenant, workflow]);
    });
    await migrateWith(db);
    const indexes = await indexesOf(db.url, SCHEMA);
    for (const [name, columns] of Object.entries(ADDED)) {
      expect(indexes.get(name)?.valid, name).toBe(true);
      expect(indexes.get(name)?.definition, name).toContain(columns);
    }
    for (const name of REPLACED) expect(indexes.has(name), name).toBe(false);
    const [row] = await withClient(db, async (client) => (await client.query('select count(*)::int as n from workflows.workflow_versions')).rows);
    expect(row.n).toBe(40);
  });

  it('drops an invalid index of its names (a concurrent build that failed) and builds it again', async () => {
    // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
    await withClient(db, (client) => client.query(`update pg_index set indisvalid = false where indexrelid = 'workflows.workflows_tenant_id_status_idx'::regclass`));
    const invalid = (await indexesOf(db.url, SCHEMA)).get('workflows_tenant_id_status_idx')!;
    expect(invalid.valid).toBe(false);
    await withClient(db, (client) => client.query(`delete from workflows.mikro_orm_migrations where name = $1`, [MIGRATION]));
    await migrateWith(db);
    const rebuilt = (await indexesOf(db.url, SCHEMA)).get('workflows_tenant_id_status_idx')!;
    expect(rebuilt.valid).toBe(true);
    expect(rebuilt.oid).not.toBe(invalid.oid);
  });
});

describe('workflows(includeArchived) and Workflow.versions, on an analyzed dataset of one big tenant and 50 small ones', () => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase('workflows_list_plans');
    orm = await open(db);
    await migrate(orm, SCHEMA);
    await withClient(db, (client) => loadDataset(client, (sql) => load(sql, { big: 20_000, small: 400 }), tables));
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it("read their page's ids, and count a workflow's versions, from the tenant's index entries alone", async () => {
    const lists = await cases(workflows, orm, async (text: string) => orm.em.fork().getConnection().execute(text));
    expect(await listPlanProblems(orm, lists.map((l: PlannedList) => ({ ...l, ...expected(l) })))).toEqual([]);
  });
});
