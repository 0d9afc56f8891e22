import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, tenantEm, type Principal } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { buildExecutionsSchema } from '../src/index.js';
import { createExecutionsDomain } from '../src/domain/executions.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

/**
 * `Execution` as the gateway asks for it (one `_entities` call naming every run another subgraph lists, or a
 * subscription's runs), with `steps` and `logs`, which a page of runs resolves once per run. Each run must answer what
 * it answers alone (the run, or NOT_FOUND at its own index; its own steps and lines, first or latest), and the
 * request must cost one statement per field read, however many runs it names.
 */

let db: ExecutionsDatabase;
let schema: GraphQLSchema;
const acme = randomUUID();
const other = randomUUID();
/** Acme's 30 runs; run i has i % 4 steps and i % 6 log lines (some of one moment). */
const runs: string[] = [];
let theirs: string;

async function insertDetails(tenantId: string, executionId: string, i: number) {
  for (let s = 0; s < i % 4; s++) {
    await db.sql(`insert into executions.step_runs (id, tenant_id, execution_id, index, type, status, rows_in, rows_out, duration_ms)
      values (?, ?, ?, ?, 'filter', 'SUCCEEDED', ?, ?, 5)`, [newId(), tenantId, executionId, s, 100 + s, 50 + s]);
  }
  // Lines of a run share their moment in pairs, so that the id orders them within it.
  for (let l = 0; l < i % 6; l++) {
    await db.sql(`insert into executions.execution_logs (id, tenant_id, execution_id, at, level, message, step)
      values (?, ?, ?, timestamptz '2026-12-01 10:00:00+00' + ? * interval '1 second', 'INFO', ?, null)`,
    [newId(), tenantId, executionId, Math.floor(l / 2), `line ${l} of ${executionId} of ${tenantId}`]);
  }
}

beforeAll(async () => {
  db = await startExecutionsDatabase();
  const domain = createExecutionsDomain({ lookups: undefined as never, onOutbox: () => {} });
  schema = await buildExecutionsSchema({ domain, cancel: undefined as never });
  for (let i = 0; i < 30; i++) {
    runs.push((await db.insertRun({ tenantId: acme, status: i % 2 ? 'FAILED' : 'SUCCEEDED', sequence: i + 1 })).id);
    await insertDetails(acme, runs[i]!, i);
  }
  theirs = (await db.insertRun({ tenantId: other, status: 'SUCCEEDED' })).id;
  await insertDetails(other, theirs, 5);
});
afterAll(async () => { await db?.stop(); });

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'user-1', role: 'VIEWER', scopes: [] });
const logger = createLogger({ service: 'executions-test', level: 'silent' });

function request(tenantId: string, source: string, variableValues: Record<string, unknown> = {}): Promise<ExecutionResult<any>> {
  const contextValue = { requestId: randomUUID(), principal: principal(tenantId), logger, em: tenantEm(db.orm, tenantId) };
  return graphql({ schema, source, variableValues, contextValue }) as Promise<ExecutionResult<any>>;
}

const RUN = `id status eventSequence steps { index type status rowsIn rowsOut } logs(limit: 3) { message at }
  latest: logs(limit: 2, last: true) { message } all: logs(limit: 1000) { message }`;
const ENTITIES = (fields: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Execution { ${fields} } } }`;
const refs = (ids: string[]) => ids.map((id) => ({ __typename: 'Execution', id }));
/** Each item of `_entities`: its data, or the codes and paths of the errors under its index (and the data, null). */
const answers = (result: ExecutionResult<any>) => (result.data!._entities as unknown[]).map((data, i) => {
  const errors = (result.errors ?? []).filter((e) => e.path?.[1] === i);
  return errors.length ? { data, errors: errors.map((e) => [(e.originalError as { code?: string }).code, e.path!.slice(2).join('.')]) } : { data };
});

/** A run's lines as one statement per run read them before (the first `limit`, or the latest `limit`, oldest first). */
async function linesRead(executionId: string, limit: number, last: boolean) {
  const order = last ? 'desc' : 'asc';
  const rows = await db.sql<{ message: string }>(`select "message" from "executions"."execution_logs" where "execution_id" = ?
    order by "at" ${order}, "id" ${order} limit ?`, [executionId, limit]);
  const messages = rows.map((r) => r.message);
  return last ? messages.reverse() : messages;
}

describe('Execution references of one _entities call', () => {
  it('answer each run what it answers alone: the run, its steps and lines, or NOT_FOUND at its index and the others unharmed', async () => {
    const ids = [runs[5]!, theirs, newId(), 'not-an-id', runs[11]!.toUpperCase(), runs[3]!, '', runs[5]!, runs[0]!, runs[29]!];
    const together = answers(await request(acme, ENTITIES(RUN), { r: refs(ids) }));
    const alone = await Promise.all(ids.map(async (id) => answers(await request(acme, ENTITIES(RUN), { r: refs([id]) }))[0]));
    expect(together).toEqual(alone);
    expect(together.map((a) => a.errors ?? (a.data as any).id)).toEqual([
      runs[5], [['NOT_FOUND', '']], [['NOT_FOUND', '']], [['NOT_FOUND', '']], runs[11], runs[3], [['NOT_FOUND', '']], runs[5], runs[0], runs[29],
    ]);
    // Each run's own steps and lines, as one statement per run read them.
    for (const [i, answer] of together.entries()) {
      if (answer.errors) continue;
      const run = answer.data as any;
      const n = runs.indexOf(run.id);
      expect(run.steps.map((s: any) => [s.index, s.rowsIn])).toEqual(Array.from({ length: n % 4 }, (_, s) => [s, 100 + s]));
      expect(run.logs.map((l: any) => l.message), `item ${i}`).toEqual(await linesRead(run.id, 3, false));
      expect(run.latest.map((l: any) => l.message), `item ${i}`).toEqual(await linesRead(run.id, 2, true));
      expect(run.all).toHaveLength(n % 6);
    }
    expect((together[8]!.data as any).steps).toEqual([]);
  });

  it('read 30 runs in one statement, their steps in one more, and their logs in one per limit asked', async () => {
    const statements = async (ids: string[], fields: string) => {
      const { result, statements: sent } = await captureSql(db.orm as never, () => request(acme, ENTITIES(fields), { r: refs(ids) }));
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(ids.length);
      return selects(sent);
    };
    expect(await statements(runs, 'id status')).toHaveLength(1);
    const all = await statements(runs, RUN);
    expect(all.filter((s) => /from "executions"\."executions"/.test(s))).toHaveLength(1);
    expect(all.filter((s) => /from "executions"\."step_runs"/.test(s))).toHaveLength(1);
    expect(all.filter((s) => /"executions"\."execution_logs"/.test(s))).toHaveLength(3);
    expect(all).toHaveLength(5);
    expect(await statements(runs.slice(0, 5), RUN)).toHaveLength(5);
  });

  it('read the steps and logs of a page of runs in one statement each', async () => {
    const { result, statements } = await captureSql(db.orm as never, () => request(acme, `{ executions(first: 30) { edges { node { ${RUN} } } } }`));
    expect(result.errors).toBeUndefined();
    const listed = result.data!.executions.edges.map((e: any) => e.node);
    expect(listed.map((r: any) => r.id)).toEqual([...runs].reverse());
    expect(answers(await request(acme, ENTITIES(RUN), { r: refs(listed.map((r: any) => r.id)) })).map((a) => a.data)).toEqual(listed);
    const sent = selects(statements);
    expect(sent.filter((s) => /from "executions"\."step_runs"/.test(s))).toHaveLength(1);
    expect(sent.filter((s) => /"executions"\."execution_logs"/.test(s))).toHaveLength(3);
  });
});

describe('Execution references across tenants', () => {
  it('answer another tenant\'s runs NOT_FOUND, batched beside the caller\'s own, and show only its own steps and lines', async () => {
    const result = await request(other, ENTITIES(RUN), { r: refs([runs[5]!, theirs, runs[3]!]) });
    expect(answers(result).map((a) => a.errors?.[0]?.[0] ?? (a.data as any).id)).toEqual(['NOT_FOUND', theirs, 'NOT_FOUND']);
    const own = result.data!._entities[1];
    expect(own.steps).toHaveLength(1);
    expect(own.all.map((l: any) => l.message)).toEqual(await linesRead(theirs, 1000, false));
    expect(JSON.stringify(result)).not.toContain(`of ${acme}`);
  });
});
