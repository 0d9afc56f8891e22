// npm run bench -- lists auth [--rounds N] [--keep] [--json FILE] (or node services/auth/bench/lists-bench.mjs after
// npx tsc -b), DATABASE_URL set to a role that may create databases. The page and the count of `members`, `apiKeys`
// and `auditEvents(type)`, as this service's code sends them, planned and run (EXPLAIN ANALYZE, BUFFERS) on a scratch
// database built by its migrations: 200,000 rows of one tenant and 4,000 of each of 50 others in each table
// (bench/lists-dataset.mjs says how they are laid out).
import { createOrm, migrate } from '@rowline/kit';
import { benchLists } from '@rowline/testing/lists-bench';
import { entities, migrations, SCHEMA } from '../dist/index.js';
import * as audit from '../dist/domain/audit.js';
import * as apiKeys from '../dist/domain/api-keys.js';
import * as members from '../dist/domain/members.js';
import { cases, load, tables } from './lists-dataset.mjs';

await benchLists({
  label: 'auth',
  open: async (url) => {
    const orm = await createOrm({ url, schema: SCHEMA, entities, migrations });
    await migrate(orm, SCHEMA);
    return { orm, close: () => orm.close() };
  },
  load: (sql) => load(sql, { big: 200_000, small: 4_000 }),
  tables,
  cases: (orm) => cases({ ...audit, ...apiKeys, ...members }, orm),
});
