import { randomUUID } from 'node:crypto';
import { createOrm, idFloorAt, migrate, tenantEm } from '@rowline/kit';
import { describeListIndexMigration, describeListPlans, indexesOf, withClient } from '@rowline/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as executions from '../src/domain/executions.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

const MIGRATION = 'Migration20261201140001';
const ADDED = { executions_tenant_id_created_idx: '(tenant_id, id) INCLUDE (created_at)', executions_tenant_status_id_idx: '(tenant_id, status, id) INCLUDE (created_at)' };

const service = { label: 'executions', options: { schema: SCHEMA, entities, migrations, logger: quiet }, createOrm, migrate };

describeListIndexMigration(service, {
  name: MIGRATION,
  added: ADDED,
  replaced: ['executions_tenant_idx', 'executions_tenant_status_created_idx'],
  rebuilds: 'executions_tenant_id_created_idx',
  seed: {
    holds: 'runs',
    table: 'executions.executions',
    rows: 30,
    // Runs as the API accepts them, each of its own tenant, a third of them FAILED.
    insert: (client) => client.query(`insert into executions.executions (id, tenant_id, workflow_id, workflow_version_id, input_file_id,
        input_file_name, input_storage_key, steps, status, idempotency_key, requested_by, sequence, created_at)
      select gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'Sales.xlsx', 'files/input', '[]',
        case when i % 3 = 0 then 'FAILED' else 'SUCCEEDED' end, gen_random_uuid()::text, 'user-1', 1, now()
      from generate_series(0, 29) i`),
  },
}, (db) => {
  it('fails after its lock timeout while the table is being written, instead of holding writes behind it', async () => {
    await withClient(db.url, async (client) => {
      await client.query(`delete from executions.mikro_orm_migrations where name = $1`, [MIGRATION]);
      for (const name of Object.keys(ADDED)) await client.query(`drop index executions.${name}`);
    });
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let attempt: Promise<string> | undefined;
    try {
      await writer.query('begin');
      await writer.query('lock table executions.executions in row exclusive mode');
      attempt = db.migrate().then(() => 'applied', (err: Error) => err.message);
      const waited = new Promise<string>((done) => setTimeout(() => done('still waiting for its lock after 15 s'), 15_000));
      expect(await Promise.race([attempt, waited])).toMatch(/lock timeout/i);
    } finally {
      await writer.query('rollback');
      await writer.end();
      await attempt;
    }
    expect((await indexesOf(db.url, SCHEMA)).has('executions_tenant_id_created_idx')).toBe(false);
    await db.migrate();
    expect((await indexesOf(db.url, SCHEMA)).get('executions_tenant_id_created_idx')?.valid).toBe(true);
  });
});

/**
 * The index each filter's page reads its ids from, and its count: one index holds every filter but a workflow's
 * with a status or a time range, which reads the workflow's runs (bounded by them).
 */
function expected({ filter }: { filter: string }) {
  if (filter.startsWith('workflowId,')) return {};
  if (filter === 'workflowId') return { index: 'executions_workflow_idx', countIndex: 'executions_workflow_idx' };
  if (filter.startsWith('status')) return { index: 'executions_tenant_status_id_idx', countIndex: 'executions_tenant_status_id_idx' };
  // A count of all the tenant's runs may read any index that leads with the tenant (the smallest, by the planner).
  return filter === 'none' ? { index: 'executions_tenant_id_created_idx' } : { index: 'executions_tenant_id_created_idx', countIndex: 'executions_tenant_id_created_idx' };
}

describeListPlans(service, {
  title: 'executions(filter), on an analyzed dataset of one big tenant quiet for a month and 50 small ones',
  test: "reads each filter's page ids, and counts it, from the tenant's index entries alone",
  load,
  tables,
  cases: (orm) => cases(executions, orm),
  expected,
});

describe('executions(filter: {from, to})', () => {
  let db: ExecutionsDatabase;
  beforeAll(async () => { db = await startExecutionsDatabase(); });
  afterAll(async () => { await db?.stop(); });

  it('lists and counts a run by its createdAt though its id was made up to a minute apart from it', async () => {
    const tenantId = randomUUID();
    const at = Date.parse('2026-11-02T10:00:00.000Z');
    /** An id of the millisecond `ms`, as newId made it then. */
    const idOf = (ms: number) => `${idFloorAt(ms).slice(0, 14)}7${randomUUID().slice(15)}`;
    const late = await db.insertRun({ tenantId, id: idOf(at - 50_000), createdAt: new Date(at) }); // its id 50 s before createdAt
    const early = await db.insertRun({ tenantId, id: idOf(at + 50_000), createdAt: new Date(at + 1) }); // its id 50 s after
    await db.insertRun({ tenantId, id: idOf(at - 3_600_000), createdAt: new Date(at - 3_600_000) });
    const runs = executions.createExecutionsDomain({ lookups: undefined as never, onOutbox: () => {} });
    const list = async (from: Date, to: Date) => {
      const page = await runs.list(tenantEm(db.orm, tenantId), { from, to }, { first: 10 });
      return { ids: page.rows.map((r) => r.id), count: await page.count() };
    };
    expect(await list(new Date(at), new Date(at + 2))).toEqual({ ids: [early.id, late.id], count: 2 });
    expect(await list(new Date(at), new Date(at + 1))).toEqual({ ids: [late.id], count: 1 });
    expect(await list(new Date(at + 1), new Date(at + 60_000))).toEqual({ ids: [early.id], count: 1 });
  });
});
