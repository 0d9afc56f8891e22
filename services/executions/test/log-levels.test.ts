import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, tenantEm, type Principal } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { buildExecutionsSchema } from '../src/index.js';
import { createExecutionsDomain } from '../src/domain/executions.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

/**
 * A run's warnings, visible without reading its whole log: `warningCount` (a run can succeed with something worth a
 * look) and `logs(levels:)`. Each read once for a page of runs, each tenant its own.
 */

let db: ExecutionsDatabase;
let schema: GraphQLSchema;
const acme = randomUUID();
const other = randomUUID();
/** Acme's runs: run i logged i % 3 warnings among info lines, and run 4 an error. */
const runs: string[] = [];

async function log(tenantId: string, executionId: string, level: string, message: string, second: number) {
  await db.sql(`insert into executions.execution_logs (id, tenant_id, execution_id, at, level, message, step)
    values (?, ?, ?, timestamptz '2026-12-01 10:00:00+00' + ? * interval '1 second', ?, ?, null)`, [newId(), tenantId, executionId, second, level, message]);
}

beforeAll(async () => {
  db = await startExecutionsDatabase();
  const domain = createExecutionsDomain({ lookups: undefined as never, onOutbox: () => {} });
  schema = await buildExecutionsSchema({ domain, cancel: undefined as never });
  for (let i = 0; i < 6; i++) {
    const id = (await db.insertRun({ tenantId: acme, status: 'SUCCEEDED', sequence: i + 1 })).id;
    runs.push(id);
    await log(acme, id, 'info', `run ${i} read 100 rows`, 0);
    for (let w = 0; w < i % 3; w++) await log(acme, id, 'warn', `run ${i} warning ${w}`, 1 + w);
    if (i === 4) await log(acme, id, 'error', `run ${i} failed`, 9);
    await log(acme, id, 'info', `run ${i} wrote summary.xlsx`, 5);
  }
  const theirs = (await db.insertRun({ tenantId: other, status: 'SUCCEEDED' })).id;
  await log(other, theirs, 'warn', 'their warning', 1);
  // A line of the other tenant under an id of Acme's runs: only the tenant scopes it out (run ids alone would not).
  await log(other, runs[0]!, 'warn', 'their line under run 0', 2);
});
afterAll(async () => { await db?.stop(); });

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'user-1', role: 'VIEWER', scopes: [] });
const logger = createLogger({ service: 'executions-test', level: 'silent' });
function request(tenantId: string, source: string): Promise<ExecutionResult<any>> {
  const contextValue = { requestId: randomUUID(), principal: principal(tenantId), logger, em: tenantEm(db.orm, tenantId) };
  return graphql({ schema, source, contextValue }) as Promise<ExecutionResult<any>>;
}
const PAGE = `{ executions(first: 10) { edges { node { id warningCount
  warnings: logs(levels: ["warn"]) { level message } problems: logs(levels: ["error", "warn"], limit: 1, last: true) { level message } } } } }`;

describe('a run\'s warnings', () => {
  it('are counted and listed by level for each run of a page, in one statement each', async () => {
    const { result, statements } = await captureSql(db.orm as never, () => request(acme, PAGE));
    expect(result.errors).toBeUndefined();
    const listed = new Map<string, any>(result.data!.executions.edges.map((e: any) => [e.node.id, e.node]));
    expect([...listed.keys()].sort()).toEqual([...runs].sort());
    for (const [i, id] of runs.entries()) {
      const run = listed.get(id);
      expect(run.warningCount, `run ${i}`).toBe(i % 3);
      expect(run.warnings, `run ${i}`).toEqual(Array.from({ length: i % 3 }, (_, w) => ({ level: 'warn', message: `run ${i} warning ${w}` })));
      // The latest line of either level: run 4's error, else its last warning, else none.
      const latest = i === 4 ? { level: 'error', message: 'run 4 failed' } : i % 3 ? { level: 'warn', message: `run ${i} warning ${(i % 3) - 1}` } : undefined;
      expect(run.problems, `run ${i}`).toEqual(latest ? [latest] : []);
    }
    const logs = selects(statements).filter((s) => /"executions"\."execution_logs"/.test(s));
    // One grouped count and one read per levels-and-limit asked, however many runs.
    expect(logs).toHaveLength(3);
  });

  it('of another tenant are neither counted nor listed', async () => {
    const result = await request(other, PAGE);
    expect(result.errors).toBeUndefined();
    const [theirs] = result.data!.executions.edges.map((e: any) => e.node);
    expect(theirs).toMatchObject({ warningCount: 1, warnings: [{ level: 'warn', message: 'their warning' }] });
    expect(result.data!.executions.edges).toHaveLength(1);
  });

  it('refuses an unknown or empty levels list as BAD_USER_INPUT, naming the argument', async () => {
    for (const levels of ['["warning"]', '[]']) {
      const result = await request(acme, `{ executions(first: 1) { edges { node { logs(levels: ${levels}) { message } } } } }`);
      const error = result.errors?.[0]?.originalError as { code?: string; details?: Record<string, unknown> } | undefined;
      expect({ code: error?.code, ...error?.details }, levels).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'levels' });
    }
  });
});
