import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, newId, tenantEm, type Principal } from '@rowline/kit';
import { captureSql, explain, explainClient, nodesOf, scansOf, selects } from '@rowline/testing/plans';
import { buildExecutionsSchema } from '../src/index.js';
import { createExecutionsDomain } from '../src/domain/executions.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

/**
 * `Workflow.executions` as the gateway asks for it: one `_entities` call naming every workflow of a list. Each
 * workflow's field must answer what `executions(filter: {workflowId})` answers for it alone, and the whole call
 * must cost the same few statements however many workflows it names.
 */

let db: ExecutionsDatabase;
let schema: GraphQLSchema;
const acme = randomUUID();
const other = randomUUID();
/** Acme's workflows, with 0, 1, 2, 3, 5 and 8 runs; their runs' ids interleave, so a cursor of one falls among the others'. */
const RUNS = [0, 1, 2, 3, 5, 8];
const workflows = RUNS.map(() => newId());
/** Other Co's own workflow, with 2 runs. */
const theirs = newId();
/** 50 more workflows of Acme's, with 0 to 3 runs each: a list page of workflows as a client asks for one. */
const many = Array.from({ length: 50 }, () => newId());

beforeAll(async () => {
  db = await startExecutionsDatabase();
  const domain = createExecutionsDomain({ lookups: undefined as never, onOutbox: () => {} });
  schema = await buildExecutionsSchema({ domain, cancel: undefined as never });
  for (let round = 0; round < Math.max(...RUNS); round++) {
    for (const [i, workflowId] of workflows.entries()) {
      if (round < RUNS[i]!) await db.insertRun({ tenantId: acme, workflowId, status: round % 2 ? 'FAILED' : 'SUCCEEDED' });
    }
    if (round < 2) await db.insertRun({ tenantId: other, workflowId: theirs });
  }
  await db.sql(`insert into executions.executions (id, tenant_id, workflow_id, workflow_version_id, input_file_id, input_file_name,
      input_storage_key, steps, status, idempotency_key, requested_by, sequence, created_at)
    select gen_random_uuid(), ?, w.id, gen_random_uuid(), gen_random_uuid(), 'Sales.xlsx', 'files/input', '[]', 'SUCCEEDED',
      gen_random_uuid()::text, 'user-1', 1, now()
    from unnest(array[?]::uuid[]) with ordinality as w(id, i), generate_series(1, (w.i % 4)::int)`, [acme, many]);
});
afterAll(async () => { await db?.stop(); });

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'user-1', role: 'VIEWER', scopes: [] });
const logger = createLogger({ service: 'executions-test', level: 'silent' });

/** A request to the subgraph as the gateway sends it, with its own entity manager, as a request has. */
async function request(tenantId: string, source: string, variableValues: Record<string, unknown> = {}): Promise<ExecutionResult<any>> {
  const contextValue = { requestId: randomUUID(), principal: principal(tenantId), logger, em: tenantEm(db.orm, tenantId) };
  return graphql({ schema, source, variableValues, contextValue });
}

const PAGE = 'edges { cursor node { id status } } pageInfo { hasNextPage endCursor }';
const ENTITIES = (fields: string) => `query($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Workflow { executions(first: $first, after: $after) { ${fields} } } } }`;
const ALONE = (fields: string) => `query($id: ID!, $first: Int, $after: String) {
  executions(filter: { workflowId: $id }, first: $first, after: $after) { ${fields} } }`;
const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'Workflow', id }));
const codeAndPath = (result: ExecutionResult) =>
  (result.errors ?? []).map((e) => [(e.originalError as { code?: string } | undefined)?.code, e.path?.join('.')]);

/** Each workflow's connection as `executions(filter: {workflowId})` answers it, one request per workflow. */
async function alone(tenantId: string, ids: string[], args: { first?: number; after?: string | null }, fields: string) {
  return Promise.all(ids.map(async (id) => {
    const result = await request(tenantId, ALONE(fields), { id, ...args });
    expect(result.errors).toBeUndefined();
    return result.data!.executions;
  }));
}

async function together(tenantId: string, ids: string[], args: { first?: number; after?: string | null }, fields: string) {
  const result = await request(tenantId, ENTITIES(fields), { r: representations(ids), ...args });
  expect(result.errors).toBeUndefined();
  return result.data!._entities.map((w: any) => w.executions);
}

describe('Workflow.executions of many workflows in one request', () => {
  it('answers each workflow what executions(filter: {workflowId}) answers it alone, for every first and after', async () => {
    const newest = (await alone(acme, [workflows.at(-1)!], { first: 100 }, PAGE))[0].edges.map((e: any) => e.cursor);
    // Cursors of the busiest workflow's runs: newer than every other run, among the others', older than all but its own.
    const cursors = [null, newest[0], newest[2], newest[5], newest.at(-1)];
    for (const after of cursors) {
      for (const first of [0, 1, 2, 3, 20]) {
        const fields = `${PAGE} totalCount`;
        expect(await together(acme, workflows, { first, after }, fields), `first ${first}, after ${after}`)
          .toEqual(await alone(acme, workflows, { first, after }, fields));
      }
    }
  });

  it('answers the default page size, and a workflow named twice or in capitals as the workflow itself', async () => {
    const ids = [workflows[4]!, workflows[5]!.toUpperCase(), workflows[4]!, workflows[0]!];
    const expected = await alone(acme, [workflows[4]!, workflows[5]!, workflows[4]!, workflows[0]!], {}, `${PAGE} totalCount`);
    expect(await together(acme, ids, {}, `${PAGE} totalCount`)).toEqual(expected);
  });

  it('reads the pages of 50 workflows in one statement, and their counts in one more only when totalCount is asked', async () => {
    const sent = async (ids: string[], fields: string) => {
      const { result, statements } = await captureSql(db.orm as never, () => request(acme, ENTITIES(fields), { r: representations(ids), first: 5 }));
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(ids.length);
      return statements;
    };
    const pages = await sent(many, PAGE);
    expect(selects(pages)).toHaveLength(1);
    expect(pages.filter((s) => /count\(/i.test(s))).toEqual([]);

    const counted = await sent(many, `${PAGE} totalCount`);
    expect(selects(counted)).toHaveLength(2);
    expect(selects(counted).filter((s) => /count\(/i.test(s))).toHaveLength(1);
    // Not proportional to the workflows: five cost as many statements as fifty.
    expect((await sent(many.slice(0, 5), `${PAGE} totalCount`)).length).toBe(counted.length);
  });

  it('reads each workflow\'s page ids from the tenant\'s (tenant_id, workflow_id, id) index entries, one probe per workflow, and counts from them', async () => {
    // Other tenants' runs around Acme's, as a platform holds them (40 tenants of 50 workflows with 20 runs each),
    // analyzed: on a table of a few rows the planner rightly reads it whole.
    await db.sql(`insert into executions.executions (id, tenant_id, workflow_id, workflow_version_id, input_file_id, input_file_name,
        input_storage_key, steps, status, idempotency_key, requested_by, sequence, created_at)
      select gen_random_uuid(), md5('tenant' || t)::uuid, md5(t || ':' || w)::uuid, gen_random_uuid(), gen_random_uuid(), 'Sales.xlsx',
        'files/input', '[]', 'SUCCEEDED', gen_random_uuid()::text, 'user-1', 1, now()
      from generate_series(1, 40) t, generate_series(1, 50) w, generate_series(1, 20) r`);
    await db.sql('vacuum analyze executions.executions');
    const { statements } = await captureSql(db.orm as never, () => request(acme, ENTITIES(`${PAGE} totalCount`), { r: representations(many), first: 5 }));
    const [page, count] = selects(statements);
    const client = await explainClient(db.url);
    try {
      const explained = await explain(client, page!, { analyze: true });
      const probes = nodesOf(explained.plan).filter((n) => n['Index Name'] === 'executions_workflow_idx');
      expect(scansOf(explained.plan), 'no table read whole').not.toContainEqual(expect.stringContaining('Seq Scan'));
      expect(probes.map((n) => [n['Node Type'], n['Scan Direction'], n['Actual Loops']])).toEqual([['Index Only Scan', 'Backward', many.length]]);
      // The counts read the same index entries: the workflows' own, of the tenant alone.
      expect(scansOf((await explain(client, count!)).plan)).toEqual(['Index Only Scan executions_workflow_idx']);
    } finally {
      await client.end();
    }
  });
});

describe('Workflow.executions across tenants', () => {
  it('answers another tenant\'s workflow as one without runs, beside the caller\'s own', async () => {
    const fields = `${PAGE} totalCount`;
    const mixed = await together(other, [workflows.at(-1)!, theirs, workflows[2]!], { first: 5 }, fields);
    const none = { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    expect(mixed).toEqual([none, ...(await alone(other, [theirs], { first: 5 }, fields)), none]);
    expect(mixed[1].edges).toHaveLength(2);
    const mine = await together(acme, [theirs, workflows.at(-1)!], { first: 5 }, fields);
    expect(mine).toEqual([none, ...(await alone(acme, [workflows.at(-1)!], { first: 5 }, fields))]);
  });
});

describe('Workflow.executions refusals', () => {
  it('refuses a malformed workflow id at its own entity, the others answering', async () => {
    const result = await request(acme, ENTITIES(PAGE), { r: representations([workflows[3]!, 'not-an-id', workflows[5]!]), first: 2 });
    expect(codeAndPath(result)).toEqual([['BAD_USER_INPUT', '_entities.1.executions']]);
    expect(result.data!._entities[1]).toBeNull();
    const expected = await alone(acme, [workflows[3]!, workflows[5]!], { first: 2 }, PAGE);
    expect([result.data!._entities[0].executions, result.data!._entities[2].executions]).toEqual(expected);
  });

  it('refuses a malformed cursor and a first outside 0..100 at every workflow\'s field', async () => {
    for (const args of [{ after: 'not a cursor' }, { first: 101 }, { first: -1 }]) {
      const result = await request(acme, ENTITIES(PAGE), { r: representations(workflows.slice(0, 2)), ...args });
      expect(codeAndPath(result), JSON.stringify(args)).toEqual([['BAD_USER_INPUT', '_entities.0.executions'], ['BAD_USER_INPUT', '_entities.1.executions']]);
    }
  });
});

describe('Workflow.executions counts that time out', () => {
  it('answers each workflow\'s totalCount null with COUNT_TIMEOUT at its own path, the pages whole', async () => {
    const ids = workflows.slice(3);
    const expected = await alone(acme, ids, { first: 2 }, PAGE);
    const [holder, queued, watcher] = [1, 2, 3].map(() => new pg.Client({ connectionString: db.url }));
    for (const c of [holder, queued, watcher]) await c!.connect();
    const waiting = async (pattern: RegExp) => {
      for (let i = 0; i < 500; i++) {
        const { rows } = await watcher!.query<{ query: string }>(`select query from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`);
        if (rows.some((r) => pattern.test(r.query))) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no statement like ${pattern} waited for the executions table`);
    };
    let result: ExecutionResult<any>;
    try {
      // The page (one statement for all the workflows) waits behind `holder`, `queued` asks for the table after it:
      // when `holder` lets go the page runs, then `queued` holds the table and the count (a later statement) waits
      // past COUNT_TIMEOUT_MS.
      await holder!.query('begin');
      await holder!.query('lock table executions.executions in access exclusive mode');
      const pending = request(acme, ENTITIES(`${PAGE} totalCount`), { r: representations(ids), first: 2 });
      await waiting(/^select "e0"/);
      await queued!.query('begin');
      const queuedLock = queued!.query('lock table executions.executions in access exclusive mode');
      await waiting(/^lock table/);
      await holder!.query('commit');
      await waiting(/count\(/);
      const unbounded = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 15 s: a statement waited behind the lock unbounded')), 15_000));
      result = await Promise.race([pending, unbounded]);
      await queuedLock;
    } finally {
      await holder!.query('rollback').catch(() => {});
      await queued!.query('rollback').catch(() => {});
      for (const c of [holder, queued, watcher]) await c!.end();
    }
    expect(codeAndPath(result).sort()).toEqual(ids.map((_, i) => ['COUNT_TIMEOUT', `_entities.${i}.executions.totalCount`]));
    expect(result.data!._entities.map((w: any) => w.executions)).toEqual(expected.map((page) => ({ ...page, totalCount: null })));
  });
});
