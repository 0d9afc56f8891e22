// npm run bench -- lists delivery [--rounds N] [--keep] [--json FILE] (or node services/delivery/bench/lists-bench.mjs
// after npx tsc -b), DATABASE_URL set to a role that may create databases. The page and the count of each list of
// this service (`deliveries(executionId, status)`, `destinations`, `Workflow.routes`, `Destination.routes`), as its
// code sends them, planned and run (EXPLAIN ANALYZE, BUFFERS) on a scratch database built by its migrations: 200,000
// rows of one tenant and 4,000 of each of 50 others in each table (bench/lists-dataset.mjs says how they are laid out).
import { createOrm, migrate } from '@rowline/kit';
import { benchLists } from '@rowline/testing/lists-bench';
import { entities, migrations, SCHEMA } from '../dist/index.js';
import * as deliveries from '../dist/domain/deliveries.js';
import * as destinations from '../dist/domain/destinations.js';
import * as routes from '../dist/domain/routes.js';
import { cases, load, tables } from './lists-dataset.mjs';

await benchLists({
  label: 'delivery',
  open: async (url) => {
    const orm = await createOrm({ url, schema: SCHEMA, entities, migrations });
    await migrate(orm, SCHEMA);
    return { orm, close: () => orm.close() };
  },
  load: (sql) => load(sql, { big: 200_000, small: 4_000 }),
  tables,
  cases: (orm, sql) => cases({ ...deliveries, ...destinations, ...routes }, orm, sql),
});
