import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type pg from 'pg';
import { databaseUrl, quoteIdent, withAdmin } from './postgres/admin.js';
import { captureSql, costOf, COUNT, explain, explainClient, scansOf, selects, type CapturingOrm, type PlannedList } from './plans.js';

/**
 * The lists benchmarks (`services/<name>/bench/lists-bench.mjs`): a scratch database migrated by the service's
 * own migrations, a dataset loaded by SQL (one tenant of 200,000 rows among small ones), vacuumed and analyzed,
 * then each list's page and count, as the service's code sends them, run under EXPLAIN (ANALYZE, BUFFERS).
 */

/** One list under one filter, for one tenant: `run` reads its page (through the service's code) and answers its count. */
export type ListCase = Omit<PlannedList, 'index' | 'countIndex'>;

export type ListsBenchOptions = {
  /** Names the scratch database (`rowline_lists_<label>_<random>`). */
  label: string;
  /** Creates the service's ORM on `url` and applies its migrations. */
  open(url: string): Promise<{ orm: CapturingOrm; close(): Promise<void> }>;
  /** Loads the dataset with plain SQL on a connection of its own (a session: temporary functions are allowed). */
  load(sql: (text: string) => Promise<unknown>): Promise<void>;
  /** Tables to vacuum and analyze once loaded, schema-qualified. */
  tables: string[];
  /** The cases, once loaded; `sql` answers rows, to find the ids a case needs. */
  cases(orm: CapturingOrm, sql: (text: string) => Promise<Array<Record<string, unknown>>>): ListCase[] | Promise<ListCase[]>;
};

type Measured = { plan: string; rowsRead: number; heapFetches: number; buffers: number; ms: number[] };

function args(argv: string[]) {
  const value = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  return { rounds: Number(value('--rounds') ?? 3), keep: argv.includes('--keep'), json: value('--json') };
}

async function measure(client: Awaited<ReturnType<typeof explainClient>>, sql: string, rounds: number): Promise<Measured> {
  await explain(client, sql, { analyze: true }); // warms the caches: every figure below is a warm run
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await explain(client, sql, { analyze: true }));
  const last = runs[runs.length - 1]!;
  const cost = costOf(last);
  return { plan: scansOf(last.plan).join(' + '), rowsRead: cost.rowsRead, heapFetches: cost.heapFetches, buffers: cost.buffers, ms: runs.map((r) => r.executionMs ?? 0) };
}

const range = (ms: number[]) => {
  const lo = Math.min(...ms), hi = Math.max(...ms);
  const f = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  return lo === hi ? f(lo) : `${f(lo)}-${f(hi)}`;
};

const cell = (m: Measured) => `${m.plan} | ${m.rowsRead.toLocaleString('en')}${m.heapFetches ? ` (${m.heapFetches.toLocaleString('en')} heap)` : ''} | ${m.buffers.toLocaleString('en')} | ${range(m.ms)}`;

/**
 * Loads a dataset on `client`'s session (its `pg_temp` functions), then vacuums and analyzes `tables`: the planner
 * then knows how the tenants' rows are spread, as it does on a platform that has run for a while.
 */
export async function loadDataset(client: pg.Client, load: ListsBenchOptions['load'], tables: string[]): Promise<void> {
  // The tests' own servers run with synchronous_commit off; a row whose commit is not yet flushed cannot be marked
  // committed, and VACUUM then leaves its page out of the visibility map, so the planner would price index-only
  // scans as table reads (it did, for a quarter of the pages, on the embedded server).
  await client.query('set synchronous_commit = on');
  await load((text) => client.query(text));
  for (const table of tables) await client.query(`vacuum analyze ${table}`);
}

/** Runs the benchmark; `DATABASE_URL` names a server and a role that may create databases. */
export async function benchLists(opts: ListsBenchOptions, argv = process.argv.slice(2)): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('Set DATABASE_URL to a PostgreSQL server and a role that may CREATE DATABASE');
  const { rounds, keep, json } = args(argv);
  const name = `rowline_lists_${opts.label}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (query) => query(`create database ${quoteIdent(name)}`));
  const url = databaseUrl(adminUrl, name);
  const client = await explainClient(url);
  let opened: Awaited<ReturnType<ListsBenchOptions['open']>> | undefined;
  try {
    opened = await opts.open(url);
    const started = Date.now();
    await loadDataset(client, opts.load, opts.tables);
    const sizes = await client.query(`select c.oid::regclass::text as "table", c.reltuples::bigint as "rows",
        pg_size_pretty(pg_relation_size(c.oid)) as "heap", pg_size_pretty(pg_indexes_size(c.oid)) as "indexes"
      from pg_class c where c.oid = any($1::regclass[])`, [opts.tables]);
    const server = (await client.query(`select current_setting('server_version') as v`)).rows[0]!.v;
    console.log(`# ${opts.label}: PostgreSQL ${server}, loaded and analyzed in ${((Date.now() - started) / 1000).toFixed(0)} s, ${rounds} warm runs each\n`);
    console.table(sizes.rows);
    const results = [];
    console.log('\n| list | filter | tenant | count | page plan | page rows read | page buffers | page ms | count plan | count rows read | count buffers | count ms |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const c of await opts.cases(opened.orm, async (text) => (await client.query(text)).rows)) {
      let count = 0;
      const { statements } = await captureSql(opened.orm, async () => { count = await (await c.run()).count(); });
      // The page is the first read; other reads may follow it (members' users), the count comes last.
      const reads = selects(statements);
      const page = reads.find((q) => !COUNT.test(q));
      const counting = reads.findLast((q) => COUNT.test(q));
      if (!page || !counting) throw new Error(`${c.list} (${c.filter}): expected a page and a count, saw ${statements.length} statements`);
      const pageCost = await measure(client, page, rounds);
      const countCost = await measure(client, counting, rounds);
      results.push({ ...c, run: undefined, count, page: { sql: page, ...pageCost }, counting: { sql: counting, ...countCost } });
      console.log(`| ${c.list} | ${c.filter} | ${c.tenant} | ${count.toLocaleString('en')} | ${cell(pageCost)} | ${cell(countCost)} |`);
    }
    if (json) writeFileSync(json, JSON.stringify(results, null, 2));
  } finally {
    await opened?.close();
    await client.end();
    if (keep) console.log(`\nkept ${url}`);
    else await withAdmin(adminUrl, (query) => query(`drop database if exists ${quoteIdent(name)} with (force)`));
  }
}

/**
 * SQL that prepares a dataset's session: `pg_temp.uuid7(at)`, a UUIDv7 of that moment as `newId()` of `@rowline/kit`
 * makes them (48 bits of milliseconds, then random bits), so that ids sort as their rows' times do;
 * `pg_temp.moment(quiet_days, active_days)`, a random moment of a tenant's active days; and the temporary table
 * `t (id, name, n, quiet_days, active_days)` of the tenants: `tenant:big` with `big` rows and 50 tenants
 * `tenant:1` to `tenant:50` of `small` rows each, their ids `md5(name)::uuid` (`fixedId`).
 *
 * Where the big tenant's rows fall is what decides whether a list that walks the whole table in id order (its
 * primary key) finds the tenant's rows at once or only after everyone else's, so it is the adversarial case for
 * the list's order. For a newest-first list (`newest`), the big tenant was active from 90 to 30 days before now
 * and quiet since, and tenant 50 from 90 to 60 days before; for an oldest-first list (`oldest`), the big tenant
 * joined 60 days ago and tenant 50 30 days ago. The other tenants' rows spread over the last 90 days.
 */
export function datasetSql(order: 'newest' | 'oldest', rows: { big: number; small: number } = { big: 200_000, small: 4_000 }): string[] {
  const [bigQuiet, bigActive, t50Quiet, t50Active] = order === 'newest' ? [30, 60, 60, 30] : [0, 60, 0, 30];
  return [
    `create or replace function pg_temp.uuid7(at timestamptz) returns uuid language sql volatile as $$
      select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 1, 3) || '-' || substr('89ab', 1 + floor(random() * 4)::int, 1)
              || substr(r, 4, 3) || '-' || substr(r, 7, 12))::uuid
        from (select lpad(to_hex(floor(extract(epoch from at) * 1000)::bigint), 12, '0') as h, md5(random()::text) as r) s $$`,
    `create or replace function pg_temp.moment(quiet_days int, active_days int) returns timestamptz language sql volatile as $$
      select now() - (quiet_days + random() * active_days) * interval '1 day' $$`,
    'drop table if exists pg_temp.t',
    `create temporary table t as
      select md5(name)::uuid as id, name, n,
             case when n = 0 then ${bigQuiet} when n = 50 then ${t50Quiet} else 0 end as quiet_days,
             case when n = 0 then ${bigActive} when n = 50 then ${t50Active} else 90 end as active_days,
             case when n = 0 then ${rows.big} else ${rows.small} end as rows
        from generate_series(0, 50) n, lateral (select 'tenant:' || case when n = 0 then 'big' else n::text end as name) x`,
  ];
}

/**
 * A fixed id for a name in a dataset (`tenant:big`), the same in every run and equal to `md5(name)::uuid` in SQL, so
 * that the loading SQL and the cases can both name a row.
 */
export function fixedId(name: string): string {
  const hex = createHash('md5').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
