import { createLogger, createOrm, migrate, newId } from '@rowline/kit';
import { describeListIndexMigration, describeListPlans } from '@rowline/testing';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as deliveries from '../src/domain/deliveries.js';
import * as destinations from '../src/domain/destinations.js';
import * as routes from '../src/domain/routes.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'delivery-test', level: 'silent' });

const service = { label: 'delivery', options: { schema: SCHEMA, entities, migrations, logger }, createOrm, migrate };

describeListIndexMigration(service, {
  name: 'Migration20261201140001',
  added: {
    deliveries_tenant_id_idx: '(tenant_id, id)',
    deliveries_tenant_status_id_idx: '(tenant_id, status, id)',
    routes_tenant_workflow_id_idx: '(tenant_id, workflow_id, id)',
    routes_tenant_destination_id_idx: '(tenant_id, destination_id, id)',
  },
  replaced: ['routes_tenant_workflow_idx', 'routes_tenant_destination_idx'],
  rebuilds: 'deliveries_tenant_status_id_idx',
  seed: {
    holds: 'a ledger',
    table: 'delivery.deliveries',
    rows: 50,
    async insert(client) {
      const tenant = newId();
      const destination = newId();
      await client.query(`insert into delivery.destinations (id, tenant_id, name, kind, config, created_at, updated_at)
        values ($1, $2, 'partner', 'WEBHOOK', '{}', now(), now())`, [destination, tenant]);
      await client.query(`insert into delivery.routes (id, tenant_id, workflow_id, destination_id, created_at) values ($1, $2, $3, $4, now())`,
        [newId(), tenant, newId(), destination]);
      await client.query(`insert into delivery.deliveries (id, tenant_id, execution_id, workflow_id, route_id, destination_id, artifact_file_id,
          artifact_name, status, idempotency_key, created_at, updated_at)
        select gen_random_uuid(), $1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $2, gen_random_uuid(), 'a.csv', 'SUCCEEDED',
          i::text, now(), now() from generate_series(1, 50) i`, [tenant, destination]);
    },
  },
});

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

describeListPlans(service, {
  title: 'every list of the service, on an analyzed dataset of one big tenant and 50 small ones',
  test: "reads its page's ids from the tenant's index entries alone, and counts by status from the index",
  load,
  tables,
  cases: (orm, sql) => cases({ ...deliveries, ...destinations, ...routes }, orm, sql),
  expected,
});
