import { createLogger, createOrm, migrate, newId, type Orm } from '@rowline/kit';
import { createTestDatabase, indexesOf, type TestDatabase } from '@rowline/testing';
import { loadDataset } from '@rowline/testing/lists-bench';
import { listPlanProblems, type PlannedList } from '@rowline/testing/plans';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as deliveries from '../src/domain/deliveries.js';
import * as destinations from '../src/domain/destinations.js';
import * as routes from '../src/domain/routes.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'delivery-test', level: 'silent' });
const MIGRATION = 'Migration20261201140001';
const ADDED = ['deliveries_tenant_id_idx', 'deliveries_tenant_status_id_idx', 'routes_tenant_workflow_id_idx', 'routes_tenant_destination_id_idx'];
const REPLACED = ['routes_tenant_workflow_idx', 'routes_tenant_destination_idx'];

/**
 * The index each list's page reads its ids from (none for one run's deliveries, a handful that any plan reads at
 * once), and the one a count reads where the planner has no cheaper choice: a status most of the ledger is in may be
 * counted by reading the table.
 */
function expected(l: { list: string; filter: string }) {
  if (l.list === 'destinations') return { index: 'destinations_tenant_idx' };
  if (l.list === 'Workflow.routes') return { index: 'routes_tenant_workflow_id_idx' };
  if (l.list === 'Destination.routes') return { index: 'routes_tenant_destination_id_idx' };
  if (l.filter.startsWith('executionId')) return {};
  if (l.filter === 'none') return { index: 'deliveries_tenant_id_idx' };
  const status = 'deliveries_tenant_status_id_idx';
  return l.filter === 'status: SUCCEEDED' ? { index: status } : { index: status, countIndex: status };
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

describe(`${MIGRATION} (the lists' indexes)`, () => {
  let db: TestDatabase;
  beforeAll(async () => { db = await createTestDatabase('delivery_list_indexes'); });
  afterAll(async () => { await db?.drop(); });

  it('applies on a database at the previous version that holds a ledger, keeping its rows', async () => {
    const previous = await open(db, migrations.slice(0, -1));
    await migrate(previous, SCHEMA);
    await previous.close();
    const tenant = newId();
    const destination = newId();
    await withClient(db, async (client) => {
      await client.query(`insert into delivery.destinations (id, tenant_id, name, kind, config, created_at, updated_at)
        values ($1, $2, 'partner', 'WEBHOOK', '{}', now(), now())`, [destination, tenant]);
      await client.query(`insert into delivery.routes (id, tenant_id, workflow_id, destination_id, created_at) values ($1, $2, $3, $4, now())`,
        [newId(), tenant, newId(), destination]);
      await client.query(`insert into delivery.deliveries (id, tenant_id, execution_id, workflow_id, route_id, destination_id, artifact_file_id,
          artifact_name, status, idempotency_key, created_at, updated_at)
        select gen_random_uuid(), $1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $2, gen_random_uuid(), 'a.csv', 'SUCCEEDED',
          i::text, now(), now() from generate_series(1, 50) i`, [tenant, destination]);
    });

    const orm = await open(db);
    await migrate(orm, SCHEMA);
    await orm.close();
    const indexes = await indexesOf(db.url, SCHEMA);
    for (const name of ADDED) expect(indexes.get(name)?.valid, name).toBe(true);
    for (const name of REPLACED) expect(indexes.has(name), name).toBe(false);
    expect(indexes.get('deliveries_tenant_status_id_idx')?.definition).toContain('(tenant_id, status, id)');
    expect(indexes.get('routes_tenant_destination_id_idx')?.definition).toContain('(tenant_id, destination_id, id)');
    const [row] = await withClient(db, async (client) => (await client.query('select count(*)::int as n from delivery.deliveries')).rows);
    expect(row.n).toBe(50);
  });

  it('drops an invalid index of its names (a concurrent build that failed) and builds it again', async () => {
    // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
    await withClient(db, (client) => client.query(`update pg_index set indisvalid = false where indexrelid = 'delivery.deliveries_tenant_status_id_idx'::regclass`));
    const invalid = (await indexesOf(db.url, SCHEMA)).get('deliveries_tenant_status_id_idx')!;
    expect(invalid.valid).toBe(false);
    await withClient(db, (client) => client.query(`delete from delivery.mikro_orm_migrations where name = $1`, [MIGRATION]));
    const orm = await open(db);
    await migrate(orm, SCHEMA);
    await orm.close();
    const rebuilt = (await indexesOf(db.url, SCHEMA)).get('deliveries_tenant_status_id_idx')!;
    expect(rebuilt.valid).toBe(true);
    expect(rebuilt.oid).not.toBe(invalid.oid);
  });
});

describe('every list of the service, on an analyzed dataset of one big tenant and 50 small ones', () => {
  let db: TestDatabase;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase('delivery_list_plans');
    orm = await open(db);
    await migrate(orm, SCHEMA);
    await withClient(db, (client) => loadDataset(client, (sql) => load(sql, { big: 20_000, small: 400 }), tables));
  });
  afterAll(async () => {
    await orm?.close();
    await db?.drop();
  });

  it('reads its page\'s ids from the tenant\'s index entries alone, and counts by status from the index', async () => {
    const lists = await cases({ ...deliveries, ...destinations, ...routes }, orm, async (text: string) => orm.em.fork().getConnection().execute(text));
    expect(await listPlanProblems(orm, lists.map((l: PlannedList) => ({ ...l, ...expected(l) })))).toEqual([]);
  });
});
