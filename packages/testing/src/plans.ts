import pg from 'pg';

/**
 * Query plans of what the ORM really sends, for tests that pin a list to its index and for the lists benchmarks
 * (`services/<name>/bench/lists-bench.mjs`). Imported as `@rowline/testing/plans`: it loads no vitest, so a
 * benchmark run by plain node can use it.
 */

type OnQuery = (sql: string, params: readonly unknown[]) => string;

/**
 * The parts of a MikroORM instance that capturing needs, named structurally so that this package does not depend
 * on the ORM. MikroORM inlines parameters itself (`formatQuery`) and sends the result as one text statement, so
 * the captured text is what Postgres planned, literals included.
 */
export type CapturingOrm = {
  config: { get(key: 'onQuery'): OnQuery; set(key: 'onQuery', value: OnQuery): void };
  em: { getPlatform(): { formatQuery(sql: string, params: readonly unknown[]): string } };
};

/** Runs `work` and answers the statements the ORM sent meanwhile (every statement: run one piece of work at a time). */
export async function captureSql<T>(orm: CapturingOrm, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const previous = orm.config.get('onQuery');
  const platform = orm.em.getPlatform();
  orm.config.set('onQuery', (sql, params) => {
    statements.push(platform.formatQuery(sql, params));
    return previous(sql, params);
  });
  try {
    return { result: await work(), statements };
  } finally {
    orm.config.set('onQuery', previous);
  }
}

/** The statements of `statements` that read rows (the page, the count), without `set local` and the like. */
export const selects = (statements: string[]) => statements.filter((s) => /^\s*select\b/i.test(s));

export type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  'Parallel Aware'?: boolean;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Heap Fetches'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
};

export type Explained = { plan: PlanNode; executionMs?: number; planningMs?: number };

type Queryable = { query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }> };

/**
 * EXPLAIN of one statement, planned (not run) unless `analyze`, which also counts buffers (without timing each
 * node: the statement's execution time is what is reported).
 */
export async function explain(client: Queryable, sql: string, opts: { analyze?: boolean } = {}): Promise<Explained> {
  const options = opts.analyze ? 'analyze, buffers, timing off, format json' : 'format json';
  const { rows } = await client.query(`explain (${options}) ${sql}`);
  const [out] = rows[0]!['QUERY PLAN'] as Array<{ Plan: PlanNode; 'Execution Time'?: number; 'Planning Time'?: number }>;
  return { plan: out!.Plan, executionMs: out!['Execution Time'], planningMs: out!['Planning Time'] };
}

const SCANS = /Scan$/;

/** Every node of a plan, depth first. */
export function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/**
 * The plan's scans, in plan order, as `Index Only Scan Backward files_tenant_id_idx` or `Parallel Seq Scan files`: enough
 * to assert which index a list reads, or that it reads no table from end to end.
 */
export function scansOf(plan: PlanNode): string[] {
  return nodesOf(plan).filter((n) => SCANS.test(n['Node Type'])).map((n) => [
    n['Parallel Aware'] ? 'Parallel' : '', n['Node Type'], n['Scan Direction'] === 'Backward' ? 'Backward' : '', n['Index Name'] ?? n['Relation Name'] ?? '',
  ].filter(Boolean).join(' '));
}

/** What a run of a plan cost: rows its scans produced and threw away, table rows fetched, and buffers. */
export function costOf(explained: Explained) {
  const scans = nodesOf(explained.plan).filter((n) => SCANS.test(n['Node Type']));
  const times = (n: PlanNode, key: keyof PlanNode) => ((n[key] as number | undefined) ?? 0) * (key === 'Heap Fetches' ? 1 : (n['Actual Loops'] ?? 1));
  const sum = (key: keyof PlanNode) => scans.reduce((total, n) => total + times(n, key), 0);
  return {
    rowsRead: sum('Actual Rows') + sum('Rows Removed by Filter') + sum('Rows Removed by Index Recheck'),
    heapFetches: sum('Heap Fetches'),
    buffers: (explained.plan['Shared Hit Blocks'] ?? 0) + (explained.plan['Shared Read Blocks'] ?? 0),
    ms: explained.executionMs ?? 0,
  };
}

/** A client on `url` for EXPLAIN, with `statement_timeout` off (a count over a big table may take its time). */
export async function explainClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('set statement_timeout = 0');
  return client;
}

/** An ORM whose own connection can run EXPLAIN (MikroORM's `em.getConnection().execute`). */
export type ExplainingOrm = CapturingOrm & { em: { getConnection(): { execute(sql: string): Promise<unknown> } } };

/**
 * The scans of a list's page and of its count, as Postgres plans them now (EXPLAIN, not run): `work` reads the
 * page through the service's own code and answers its count. The page is the first statement read, the count the
 * last `select count(...)`.
 */
export async function listPlans(orm: ExplainingOrm, work: () => Promise<{ count(): Promise<number> }>): Promise<{ page: string[]; count: string[] }> {
  const { statements } = await captureSql(orm, async () => { await (await work()).count(); });
  const reads = selects(statements);
  const page = reads.find((q) => !COUNT.test(q));
  const count = reads.findLast((q) => COUNT.test(q));
  if (!page || !count) throw new Error(`expected a page and a count, saw: ${statements.join('; ')}`);
  const client = { query: async (sql: string) => ({ rows: (await orm.em.getConnection().execute(sql)) as Array<Record<string, unknown>> }) };
  return { page: scansOf((await explain(client, page)).plan), count: scansOf((await explain(client, count)).plan) };
}

/** A list's count statement, as MikroORM writes it. */
export const COUNT = /^\s*select count\(/i;

/** A list under one filter for one tenant, and the indexes its page's ids and its count must read (`lists-dataset.mjs`). */
export type PlannedList = {
  list: string; filter: string; tenant: string; index?: string; countIndex?: string; run: () => Promise<{ count(): Promise<number> }>;
};

/**
 * What is wrong with the plans of `lists`, one sentence each (none: all is well): a page whose ids do not come from
 * an index-only scan of its `index`, a page that reads a table from end to end, a count that is not an index-only
 * scan of its `countIndex`.
 */
export async function listPlanProblems(orm: ExplainingOrm, lists: PlannedList[]): Promise<string[]> {
  const problems: string[] = [];
  for (const l of lists) {
    const { page, count } = await listPlans(orm, l.run);
    const name = `${l.list} (${l.filter}) of the ${l.tenant} tenant`;
    if (page.some((s) => s.includes('Seq Scan'))) problems.push(`${name}: the page reads a whole table (${page.join(' + ')})`);
    // A nested list's page, read for many parents at once (`childPageIds`), walks the parents' ids first (`unnest`):
    // its ids come from the scan after that.
    const ids = page.find((s) => !/^Function Scan/.test(s));
    if (l.index && !new RegExp(`^Index Only Scan (Backward )?${l.index}$`).test(ids ?? '')) {
      problems.push(`${name}: the page's ids come from ${ids}, not an index-only scan of ${l.index}`);
    }
    if (l.countIndex && !(count.length === 1 && new RegExp(`^(Parallel )?Index Only Scan ${l.countIndex}$`).test(count[0]!))) {
      problems.push(`${name}: the count reads ${count.join(' + ')}, not an index-only scan of ${l.countIndex}`);
    }
  }
  return problems;
}
