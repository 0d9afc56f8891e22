// npm run bench -- lists files [--rounds N] [--keep] [--json FILE] (or node services/files/bench/lists-bench.mjs after
// npx tsc -b), DATABASE_URL set to a role that may create databases. The page and the count of `files(kind)`, as
// this service's code sends them, planned and run (EXPLAIN ANALYZE, BUFFERS) on a scratch database built by its
// migrations: 400,000 files, 200,000 of one tenant and 4,000 of each of 50 others (bench/lists-dataset.mjs says how
// they are laid out).
import { createOrm, migrate } from '@rowline/kit';
import { benchLists } from '@rowline/testing/lists-bench';
import { entities, migrations, SCHEMA } from '../dist/index.js';
import * as files from '../dist/domain/files.js';
import { cases, load, tables } from './lists-dataset.mjs';

await benchLists({
  label: 'files',
  open: async (url) => {
    const orm = await createOrm({ url, schema: SCHEMA, entities, migrations });
    await migrate(orm, SCHEMA);
    return { orm, close: () => orm.close() };
  },
  load: (sql) => load(sql, { big: 200_000, small: 4_000 }),
  tables,
  cases: (orm) => cases(files, orm),
});
