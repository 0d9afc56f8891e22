import { createLogger, createOrm, migrate, newId } from '@rowline/kit';
import { describeListIndexMigration, describeListPlans } from '@rowline/testing';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as audit from '../src/domain/audit.js';
import * as apiKeys from '../src/domain/api-keys.js';
import * as members from '../src/domain/members.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'auth-test', level: 'silent' });

const service = { label: 'auth', options: { schema: SCHEMA, entities, migrations, logger }, createOrm, migrate };

describeListIndexMigration(service, {
  name: 'Migration20261201140001',
  added: { audit_events_tenant_type_id_idx: '(tenant_id, type, id)' },
  replaced: ['audit_events_tenant_idx'],
  rebuilds: 'audit_events_tenant_type_id_idx',
  seed: {
    holds: 'an audit log',
    table: 'auth.audit_events',
    rows: 40,
    insert: (client) => client.query(`insert into auth.audit_events (id, tenant_id, type, details, at)
      select gen_random_uuid(), $1, case when i % 3 = 0 then 'login.failed' else 'login.succeeded' end, '{}', now()
      from generate_series(1, 40) i`, [newId()]),
  },
});

/** The index each list's page reads its ids from, and the one its count reads where the filter has one of its own. */
function expected(l: { list: string; filter: string }) {
  if (l.list === 'members') return { index: 'memberships_tenant_idx' };
  if (l.list === 'apiKeys') return { index: 'api_keys_tenant_idx' };
  return l.filter === 'none' ? { index: 'audit_events_tenant_id_idx' } : { index: 'audit_events_tenant_type_id_idx', countIndex: 'audit_events_tenant_type_id_idx' };
}

describeListPlans(service, {
  title: 'members, apiKeys and auditEvents(type), on an analyzed dataset of one big tenant and 50 small ones',
  test: "read their page's ids, and count a type, from the tenant's index entries alone",
  load,
  tables,
  cases: (orm) => cases({ ...audit, ...apiKeys, ...members }, orm),
  expected,
});
