import { createLogger, createOrm, migrate, newId } from '@rowline/kit';
import { describeListIndexMigration, describeListPlans } from '@rowline/testing';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as workflows from '../src/domain/workflows.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'workflows-test', level: 'silent' });

const service = { label: 'workflows', options: { schema: SCHEMA, entities, migrations, logger }, createOrm, migrate };

describeListIndexMigration(service, {
  name: 'Migration20261201140001',
  added: { workflows_tenant_id_status_idx: '(tenant_id, id) INCLUDE (status)', workflow_versions_tenant_workflow_id_idx: '(tenant_id, workflow_id, id)' },
  replaced: ['workflows_tenant_id_idx', 'workflow_versions_tenant_idx'],
  rebuilds: 'workflows_tenant_id_status_idx',
  seed: {
    holds: 'workflows and versions',
    table: 'workflows.workflow_versions',
    rows: 40,
    async insert(client) {
      const tenant = newId();
      const workflow = newId();
      await client.query(`insert into workflows.workflows (id, tenant_id, name, status, created_by, created_at, updated_at)
        values ($1, $2, 'weekly', 'ACTIVE', 'user-1', now(), now())`, [workflow, tenant]);
      await client.query(`insert into workflows.workflow_versions (id, tenant_id, workflow_id, number, steps, created_by, created_at)
        select gen_random_uuid(), $1, $2, i, '[]', 'user-1', now() from generate_series(1, 40) i`, [tenant, workflow]);
    },
  },
});

/** The index each page reads its ids from, and the one a count of a workflow's versions reads. */
const expected = (l: { list: string }) => (l.list === 'workflows'
  ? { index: 'workflows_tenant_id_status_idx' }
  : { index: 'workflow_versions_tenant_workflow_id_idx', countIndex: 'workflow_versions_tenant_workflow_id_idx' });

describeListPlans(service, {
  title: 'workflows(includeArchived) and Workflow.versions, on an analyzed dataset of one big tenant and 50 small ones',
  test: "read their page's ids, and count a workflow's versions, from the tenant's index entries alone",
  load,
  tables,
  cases: (orm, sql) => cases(workflows, orm, sql),
  expected,
});
