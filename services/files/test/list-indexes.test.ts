import { createLogger, createOrm, migrate, newId } from '@rowline/kit';
import { describeListIndexMigration, describeListPlans } from '@rowline/testing';
import { entities, migrations, SCHEMA } from '../src/index.js';
import * as files from '../src/domain/files.js';
import { cases, load, tables } from '../bench/lists-dataset.mjs';

const logger = createLogger({ service: 'files-test', level: 'silent' });

const service = { label: 'files', options: { schema: SCHEMA, entities, migrations, logger }, createOrm, migrate };

describeListIndexMigration(service, {
  name: 'Migration20261201140001',
  added: { files_tenant_id_status_idx: '(tenant_id, id) INCLUDE (status)', files_tenant_kind_id_status_idx: '(tenant_id, kind, id) INCLUDE (status)' },
  replaced: ['files_tenant_id_idx', 'files_tenant_kind_id_idx'],
  rebuilds: 'files_tenant_kind_id_status_idx',
  seed: {
    holds: 'files',
    table: 'files.files',
    rows: 40,
    insert: (client) => client.query(`insert into files.files (id, tenant_id, name, size, status, kind, storage_key, created_by, created_at, updated_at)
      select gen_random_uuid(), $1::uuid, 'f' || i || '.csv', 10, case when i % 4 = 0 then 'DELETED' else 'READY' end,
        case when i % 2 = 0 then 'INPUT' else 'ARTIFACT' end, $1::text || '/files/' || i, 'user-1', now(), now()
      from generate_series(1, 40) i`, [newId()]),
  },
});

/** The index each page reads its ids from, and the one a count by kind reads. */
const expected = (l: { filter: string }) => (l.filter === 'none'
  ? { index: 'files_tenant_id_status_idx' }
  : { index: 'files_tenant_kind_id_status_idx', countIndex: 'files_tenant_kind_id_status_idx' });

describeListPlans(service, {
  title: 'files(kind), on an analyzed dataset of one big tenant and 50 small ones',
  test: "reads its page's ids, and counts a kind, from the tenant's index entries alone",
  load,
  tables,
  cases: (orm) => cases(files, orm),
  expected,
});
