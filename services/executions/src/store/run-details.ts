import { raw } from '@mikro-orm/core';
import { tenantOf, type EntityManager } from '@rowline/kit';
import { ExecutionLogEntity, StepRunEntity, type ExecutionLog, type StepRun } from './entities.js';

/** Rows of several runs, grouped by run: every id of `executionIds` answers its rows, or none (another tenant's run). */
function byRun<T extends { executionId: string }>(executionIds: readonly string[], rows: T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>(executionIds.map((id) => [id, []]));
  for (const row of rows) grouped.get(row.executionId)?.push(row);
  return grouped;
}

/**
 * The step records of several runs of the request's tenant, each run's in step order, in one statement (a probe of
 * the `(execution_id, index)` unique index per run). `executionIds`: distinct, canonical lowercase.
 */
export async function stepsOfRuns(em: EntityManager, executionIds: readonly string[]): Promise<Map<string, StepRun[]>> {
  const rows = await em.find(StepRunEntity, { executionId: { $in: [...executionIds] } }, { orderBy: [{ executionId: 'asc' }, { index: 'asc' }] });
  return byRun(executionIds, rows);
}

/**
 * `limit` log lines of each of several runs of the request's tenant, as `logs` reads them for one run (its first
 * lines, or with `last` its latest ones; each run's answered oldest first, lines of one moment in the order written),
 * in one statement: the lines' ids from a probe of `execution_logs_execution_idx (execution_id, at)` per run
 * (`unnest` of the run ids, `cross join lateral` an `order by at, id limit` of the run's lines), then those lines by
 * id through `em` (whose tenant filter scopes them too). `executionIds`: distinct, canonical lowercase.
 */
export async function logsOfRuns(
  em: EntityManager, executionIds: readonly string[], limit: number, last: boolean, levels: readonly LogLevel[] | null = null,
): Promise<Map<string, ExecutionLog[]>> {
  const order = last ? 'desc' : 'asc';
  const ids = raw(`select "l"."id" from unnest(array[?]::uuid[]) as "r"("id") cross join lateral (
      select "x"."id" from "executions"."execution_logs" as "x"
      where "x"."tenant_id" = ? and "x"."execution_id" = "r"."id"${levels ? ' and "x"."level" = any(array[?]::text[])' : ''}
      order by "x"."at" ${order}, "x"."id" ${order} limit ?) as "l"`, [[...executionIds], tenantOf(em), ...(levels ? [[...levels]] : []), limit]);
  const rows = await em.find(ExecutionLogEntity, { id: { $in: ids } } as never, { orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  return byRun(executionIds, rows as ExecutionLog[]);
}

/** The levels a log line has: the engine's info and warn, the worker's error. */
export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How many `warn` lines each of several runs of the request's tenant logged, in one grouped statement (each run's
 * lines through `execution_logs_execution_idx`). A run without any answers 0, as does another tenant's.
 */
export async function warningCountsOfRuns(em: EntityManager, executionIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await em.getConnection().execute<Array<{ execution_id: string; n: string }>>(
    `select "execution_id", count(*) as "n" from "executions"."execution_logs"
      where "tenant_id" = ? and "execution_id" = any(array[?]::uuid[]) and "level" = 'warn' group by "execution_id"`,
    [tenantOf(em), [...executionIds]]);
  const counts = new Map<string, number>(executionIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.execution_id, Number(row.n));
  return counts;
}
