import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId, tenantEm, type Principal } from '@rowline/kit';
import { decodeExecutionEvent } from '@rowline/proto';
import { createExecutionsDomain } from '../src/domain/executions.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { codesOf, startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from './support/platform.js';

let p: ExecutionsPlatform;
let acme: Tenant;
let other: Tenant;
let summary: { workflowId: string; versionId: string };
let broken: { workflowId: string; versionId: string };
/** Run ids in the order they were started. */
const succeeded: string[] = [];
const failed: string[] = [];

const BROKEN_STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'no_such_column', op: 'eq', value: 1 } } },
  { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];

beforeAll(async () => {
  p = await startExecutionsPlatform();
  acme = await p.tenant('Acme');
  other = await p.tenant('Other Co');
  summary = await acme.workflow();
  broken = await acme.workflow(BROKEN_STEPS, 'Broken');
  const fileId = await acme.upload();
  for (let i = 0; i < 3; i++) succeeded.push(await acme.run({ workflowVersionId: summary.versionId, fileId }));
  for (let i = 0; i < 2; i++) failed.push(await acme.run({ workflowVersionId: broken.versionId, fileId }));
  for (const id of [...succeeded, ...failed]) await acme.ended(id);
});
afterAll(async () => { await p?.stop(); });

const LIST = `query($f: ExecutionFilterInput, $first: Int, $after: String) { executions(filter: $f, first: $first, after: $after) {
  edges { node { id status } } pageInfo { hasNextPage endCursor } } }`;
const idsOf = (result: any): string[] => result.data.executions.edges.map((e: any) => e.node.id);
const newestFirst = (ids: string[]) => [...ids].reverse();

describe('listing runs', () => {
  it('lists every run of the tenant, newest first', async () => {
    expect(idsOf(await acme.api.request(LIST))).toEqual(newestFirst([...succeeded, ...failed]));
  });

  it('filters by status', async () => {
    expect(idsOf(await acme.api.request(LIST, { f: { status: 'SUCCEEDED' } }))).toEqual(newestFirst(succeeded));
    expect(idsOf(await acme.api.request(LIST, { f: { status: 'FAILED' } }))).toEqual(newestFirst(failed));
    expect(idsOf(await acme.api.request(LIST, { f: { status: 'RUNNING' } }))).toEqual([]);
  });

  it('filters by workflow, alone and with a status', async () => {
    expect(idsOf(await acme.api.request(LIST, { f: { workflowId: summary.workflowId } }))).toEqual(newestFirst(succeeded));
    expect(idsOf(await acme.api.request(LIST, { f: { workflowId: broken.workflowId, status: 'SUCCEEDED' } }))).toEqual([]);
    // Malformed: a mistake worth saying (deliveries' executionId alike); a lookup by such an id is NOT_FOUND.
    expect(codesOf(await acme.api.request(LIST, { f: { workflowId: 'not-an-id' } }))).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through the runs two at a time following endCursor', async () => {
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const result: any = await acme.api.request(LIST, { first: 2, after });
      pages.push(idsOf(result));
      after = result.data.executions.pageInfo.hasNextPage ? result.data.executions.pageInfo.endCursor : null;
    } while (after);
    const all = newestFirst([...succeeded, ...failed]);
    expect(pages).toEqual([all.slice(0, 2), all.slice(2, 4), all.slice(4)]);
  });

  it('refuses first above 100 or below 0 as BAD_USER_INPUT', async () => {
    for (const first of [101, -1]) {
      const refused = await acme.api.request(LIST, { first });
      expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0].extensions.argument).toBe('first');
    }
  });

  it('answers a run\'s first or latest log lines up to limit, and refuses a limit outside 1..1000 as BAD_USER_INPUT', async () => {
    const logs = `query($id: ID!, $limit: Int!) { execution(id: $id) { logs(limit: $limit) { message } } }`;
    const all = (await acme.api.request(`query($id: ID!) { execution(id: $id) { logs { message } } }`, { id: succeeded[0] })).data.execution.logs;
    expect(all.length).toBeGreaterThan(0);
    expect((await acme.api.request(logs, { id: succeeded[0], limit: 1 })).data.execution.logs).toEqual(all.slice(0, 1));
    expect((await acme.api.request(logs, { id: succeeded[0], limit: 1000 })).data.execution.logs).toEqual(all);
    // The latest lines, still oldest first; lines of one moment in the order they were written (ids are
    // time-ordered). Five more lines for a run, two of them at the same moment.
    const [run] = await p.sql<{ tenant_id: string }>(`select "tenant_id" from "executions"."executions" where "id" = ?`, [succeeded[1]]);
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    for (const [i, second] of [[1, 1], [2, 2], [3, 3], [4, 3], [5, 4]] as const) {
      await p.sql(`insert into "executions"."execution_logs" ("id", "tenant_id", "execution_id", "at", "level", "message", "step")
        values (?, ?, ?, ?, 'info', ?, null)`, [newId(), run!.tenant_id, succeeded[1], at(second), `line ${i}`]);
    }
    const tail = `query($id: ID!, $limit: Int!) { execution(id: $id) { logs(limit: $limit, last: true) { message } } }`;
    const messages = async (limit: number) => (await acme.api.request(tail, { id: succeeded[1], limit })).data.execution.logs.map((l: any) => l.message);
    expect(await messages(1)).toEqual(['line 5']);
    expect(await messages(3)).toEqual(['line 3', 'line 4', 'line 5']);
    const head = (await acme.api.request(logs, { id: succeeded[1], limit: 1000 })).data.execution.logs.map((l: any) => l.message);
    expect(head.slice(-5)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(await messages(1000)).toEqual(head);
    for (const limit of [0, -1, 1001]) {
      const refused = await acme.api.request(logs, { id: succeeded[0], limit });
      expect(refused.errors?.map((e: any) => [e.extensions.code, e.message, e.extensions.argument])).toEqual([['BAD_USER_INPUT', 'limit must be between 1 and 1000', 'limit']]);
    }
  });

  it('adds a workflow\'s runs to the Workflow entity, scoped to the caller\'s tenant', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { executions(first: 10) { edges { node { id } } } } } }`;
    const mine = await p.subgraph(acme.tenantId, query, { r: [{ __typename: 'Workflow', id: broken.workflowId }] });
    expect(mine.errors).toBeUndefined();
    expect(mine.data._entities[0].executions.edges.map((e: any) => e.node.id)).toEqual(newestFirst(failed));
    const theirs = await p.subgraph(other.tenantId, query, { r: [{ __typename: 'Workflow', id: broken.workflowId }] });
    expect(theirs.data._entities[0].executions.edges).toEqual([]);
  });
});

describe('workflows with their runs, through the gateway', () => {
  it('answers each workflow\'s runs as executions(filter: {workflowId}) lists them, pages and counts', async () => {
    const PAGE = 'edges { cursor node { id status } } pageInfo { hasNextPage endCursor } totalCount';
    const listed = await acme.api.request(`{ workflows(first: 50) { edges { node { id name executions(first: 2) { ${PAGE} } } } } }`);
    expect(listed.errors).toBeUndefined();
    const nodes: Array<{ id: string; executions: unknown }> = listed.data.workflows.edges.map((e: any) => e.node);
    expect(nodes.map((n) => n.id).sort()).toEqual([summary.workflowId, broken.workflowId].sort());
    for (const node of nodes) {
      const alone = await acme.api.request(`query($w: ID!) { executions(filter: { workflowId: $w }, first: 2) { ${PAGE} } }`, { w: node.id });
      expect(node.executions).toEqual(alone.data.executions);
    }
  });
});

const COUNT = `query($f: ExecutionFilterInput, $first: Int, $after: String) { executions(filter: $f, first: $first, after: $after) {
  totalCount edges { node { id createdAt } } pageInfo { hasNextPage endCursor } } }`;
const countOf = async (tenant: Tenant, f?: object): Promise<number> => (await tenant.api.request(COUNT, { f, first: 0 })).data.executions.totalCount;

describe('totalCount', () => {
  it('counts the runs each filter lists: status, workflow, both', async () => {
    expect(await countOf(acme)).toBe(5);
    expect(await countOf(acme, { status: 'SUCCEEDED' })).toBe(3);
    expect(await countOf(acme, { status: 'FAILED' })).toBe(2);
    expect(await countOf(acme, { status: 'RUNNING' })).toBe(0);
    expect(await countOf(acme, { workflowId: broken.workflowId })).toBe(2);
    expect(await countOf(acme, { workflowId: broken.workflowId, status: 'SUCCEEDED' })).toBe(0);
  });

  it('counts the runs of a time range, from included and to excluded, as the list does', async () => {
    const runs: Array<{ id: string; createdAt: string }> = (await acme.api.request(COUNT, { first: 100 })).data.executions.edges.map((e: any) => e.node);
    const from = runs[2]!.createdAt;
    const to = runs[0]!.createdAt;
    const between = runs.filter((r) => r.createdAt >= from && r.createdAt < to);
    expect(between.length).toBeGreaterThan(0);
    const listed = await acme.api.request(COUNT, { f: { from, to }, first: 100 });
    expect(listed.data.executions.edges.map((e: any) => e.node.id)).toEqual(between.map((r) => r.id));
    expect(listed.data.executions.totalCount).toBe(between.length);
    expect(await countOf(acme, { from: '2999-01-01T00:00:00.000Z' })).toBe(0);
    expect(await countOf(acme, { to: '2000-01-01T00:00:00.000Z', status: 'FAILED' })).toBe(0);
  });

  it('stays the count of every match on every page, and first: 0 answers only it and hasNextPage', async () => {
    const totals: number[] = [];
    let after: string | null = null;
    do {
      const result: any = await acme.api.request(COUNT, { first: 2, after, f: { status: 'SUCCEEDED' } });
      totals.push(result.data.executions.totalCount);
      after = result.data.executions.pageInfo.hasNextPage ? result.data.executions.pageInfo.endCursor : null;
    } while (after);
    expect(totals).toEqual([3, 3]);
    expect((await acme.api.request(COUNT, { first: 0 })).data.executions).toEqual({ totalCount: 5, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  it('answers first: 0 after a cursor with that cursor as endCursor, so a loop on endCursor goes on from there', async () => {
    const firstPage: any = await acme.api.request(COUNT, { first: 2 });
    const after = firstPage.data.executions.pageInfo.endCursor as string;
    const peek: any = await acme.api.request(COUNT, { first: 0, after });
    expect(peek.data.executions).toEqual({ totalCount: 5, edges: [], pageInfo: { hasNextPage: true, endCursor: after } });
    const next: any = await acme.api.request(COUNT, { first: 2, after: peek.data.executions.pageInfo.endCursor });
    const ids = (r: any) => r.data.executions.edges.map((e: any) => e.node.id);
    expect(ids(next)).toHaveLength(2);
    expect(ids(next).some((id: string) => ids(firstPage).includes(id))).toBe(false);
  });

  it('counts none of another tenant\'s runs, whatever the filter names', async () => {
    expect(await countOf(other)).toBe(0);
    expect(await countOf(other, { workflowId: summary.workflowId })).toBe(0);
    expect(await countOf(other, { status: 'SUCCEEDED' })).toBe(0);
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { executions(first: 0) { totalCount pageInfo { hasNextPage } } } } }`;
    const mine = await p.subgraph(acme.tenantId, query, { r: [{ __typename: 'Workflow', id: broken.workflowId }] });
    expect(mine.data._entities[0].executions).toEqual({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const theirs = await p.subgraph(other.tenantId, query, { r: [{ __typename: 'Workflow', id: broken.workflowId }] });
    expect(theirs.data._entities[0].executions).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false } });
  });
});

describe('eventSequence', () => {
  // What this checks on runs at rest: the value. That two fields of one request read one row (the shared read in
  // the domain's get) matters only while a run is being written, which a test cannot time; not tested here.
  it('is the sequence of the run\'s last event, in every execution(id) field of a request', async () => {
    for (const id of [succeeded[0]!, failed[0]!]) {
      const rows = await p.sql<{ payload: Uint8Array }>(
        `select "payload" from "executions"."outbox" where "key" = ? and "topic" like '%executions.events' order by "id"`, [id]);
      const last = Number(decodeExecutionEvent(rows.at(-1)!.payload).sequence);
      const result = await acme.api.request(`query($id: ID!) {
        state: execution(id: $id) { status eventSequence }
        run: execution(id: $id) { eventSequence steps { index } }
      }`, { id });
      expect(result.errors).toBeUndefined();
      expect(result.data).toMatchObject({ state: { eventSequence: last }, run: { eventSequence: last } });
      expect(last).toBeGreaterThan(1);
    }
  });
});

describe('executionsByIds', () => {
  const BY_IDS = `query($ids: [ID!]!) { state: executionsByIds(ids: $ids) { id status eventSequence } runs: executionsByIds(ids: $ids) { id steps { index } } }`;

  it('answers the runs in the order asked, a run asked twice twice, and each root field alike', async () => {
    const ids = [failed[1]!, succeeded[0]!, failed[1]!, succeeded[2]!];
    const result = await acme.api.request(BY_IDS, { ids });
    expect(result.errors).toBeUndefined();
    expect(result.data.state.map((r: any) => r.id)).toEqual(ids);
    expect(result.data.state.map((r: any) => r.status)).toEqual(['FAILED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(result.data.runs.map((r: any) => r.id)).toEqual(ids);
    expect(result.data.runs[1].steps.length).toBeGreaterThan(0);
    for (const r of result.data.state) expect(r.eventSequence).toBeGreaterThan(1);
    expect((await acme.api.request(BY_IDS, { ids: [] })).data).toEqual({ state: [], runs: [] });
  });

  it('answers another tenant\'s run, an unknown id and a malformed one as null items with NOT_FOUND at their index, the others whole', async () => {
    const unknown = newId();
    const result = await other.api.request(BY_IDS, { ids: [succeeded[0]!, unknown, 'not-an-id'] });
    expect(result.data).toEqual({ state: [null, null, null], runs: [null, null, null] });
    expect(result.errors!.map((e: any) => [e.extensions.code, e.path.join('.')]).sort()).toEqual(
      ['runs.0', 'runs.1', 'runs.2', 'state.0', 'state.1', 'state.2'].map((path) => ['NOT_FOUND', path]));
    expect(JSON.stringify(result)).not.toContain('SUCCEEDED');

    const mixed = await acme.api.request(BY_IDS, { ids: [unknown, succeeded[1]!] });
    expect(mixed.data.state).toEqual([null, expect.objectContaining({ id: succeeded[1], status: 'SUCCEEDED' })]);
    expect(mixed.errors!.map((e: any) => e.path.join('.')).sort()).toEqual(['runs.0', 'state.0']);
  });

  it('shares a read only between root fields given the same ids, not ids that join to the same text', async () => {
    // "a,b" (one malformed id) and ["a", "b"] (two runs) both join to "a,b": the runs must still answer.
    const [a, b] = [succeeded[0]!, succeeded[1]!];
    const result = await acme.api.request(`query($one: [ID!]!, $two: [ID!]!) {
      one: executionsByIds(ids: $one) { id } two: executionsByIds(ids: $two) { id status }
    }`, { one: [`${a},${b}`], two: [a, b] });
    expect(result.data.two).toEqual([{ id: a, status: 'SUCCEEDED' }, { id: b, status: 'SUCCEEDED' }]);
    expect(result.errors!.map((e: any) => [e.extensions.code, e.path.join('.')])).toEqual([['NOT_FOUND', 'one.0']]);
  });

  it('answers a run named by its id in capitals, as execution(id) does', async () => {
    const upper = succeeded[2]!.toUpperCase();
    expect((await acme.api.request(`query($id: ID!) { execution(id: $id) { id } }`, { id: upper })).data.execution).toEqual({ id: succeeded[2] });
    const result = await acme.api.request(BY_IDS, { ids: [upper, succeeded[2]!] });
    expect(result.errors).toBeUndefined();
    expect(result.data.state.map((r: any) => r.id)).toEqual([succeeded[2], succeeded[2]]);
  });

  it('refuses more than 100 ids as BAD_USER_INPUT', async () => {
    const refused = await acme.api.request(BY_IDS, { ids: Array.from({ length: 101 }, () => succeeded[0]!) });
    expect(codesOf(refused)).toContain('BAD_USER_INPUT');
    expect(refused.data).toBeNull();
  });
});

describe('tenant isolation', () => {
  it('answers NOT_FOUND when another tenant reads a run', async () => {
    const result = await other.api.request(`query($id: ID!) { execution(id: $id) { id status eventSequence } }`, { id: succeeded[0] });
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
  });

  it('answers NOT_FOUND when another tenant cancels a run, and leaves it as it was', async () => {
    const result = await other.api.request(`mutation($id: ID!) { cancelExecution(id: $id) { id status } }`, { id: succeeded[0] });
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
    expect((await acme.ended(succeeded[0]!)).status).toBe('SUCCEEDED');
  });

  it('lists none of another tenant\'s runs, even filtered by their workflow', async () => {
    expect(idsOf(await other.api.request(LIST))).toEqual([]);
    expect(idsOf(await other.api.request(LIST, { f: { workflowId: summary.workflowId } }))).toEqual([]);
  });
});

describe('runs whose files were deleted', () => {
  it('still read, listed and resolved across tenants as before, naming the files DELETED', async () => {
    const tidy = await p.tenant('Tidy Co');
    const { versionId } = await tidy.workflow();
    const fileId = await tidy.upload();
    const id = await tidy.run({ workflowVersionId: versionId, fileId });
    const [artifact] = (await tidy.ended(id)).artifacts;
    for (const deleted of [fileId, artifact.id]) {
      expect((await tidy.api.request(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: deleted })).data).toEqual({ deleteFile: true });
    }

    const files = 'inputFile { id status downloadUrl } artifacts { id name status downloadUrl }';
    const one = await tidy.api.request(`query($id: ID!) { execution(id: $id) { id status ${files} } }`, { id });
    expect(one.errors).toBeUndefined();
    expect(one.data.execution).toEqual({
      id, status: 'SUCCEEDED', inputFile: { id: fileId, status: 'DELETED', downloadUrl: null },
      artifacts: [{ id: artifact.id, name: 'summary.xlsx', status: 'DELETED', downloadUrl: null }],
    });
    const listed = await tidy.api.request(`{ executions(first: 10) { edges { node { id ${files} } } } }`);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.executions.edges.map((e: any) => e.node.id)).toEqual([id]);
    expect(codesOf(await other.api.request(`query($id: ID!) { execution(id: $id) { ${files} } }`, { id }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await tidy.start({ workflowVersionId: versionId, fileId }))).toEqual(['NOT_FOUND']);
  });
});

describe('a time range after the accepting process\'s clock stepped back', () => {
  let db: ExecutionsDatabase;
  beforeAll(async () => { db = await startExecutionsDatabase(); });
  afterAll(async () => {
    vi.useRealTimers();
    await db?.stop();
  });

  it('lists and counts a run accepted while its ids ran ahead of the clock by the range that holds its createdAt', async () => {
    const tenantId = randomUUID();
    const actor: Principal = { kind: 'user', tenantId, subject: 'user-1', role: 'OWNER', scopes: [] };
    const runs = createExecutionsDomain({
      onOutbox: () => {},
      lookups: {
        version: async (_, id) => ({ id, workflowId: newId(), steps: [] }),
        latestVersion: async () => { throw new Error('not asked'); },
        file: async (_, id) => ({ id, name: 'Sales.csv', status: 'READY', storageKey: `${tenantId}/files/${id}`, size: 10 }),
      },
    });
    const accept = () => runs.start(tenantEm(db.orm, tenantId), actor, { workflowVersionId: newId(), fileId: newId(), idempotencyKey: randomUUID() });
    const list = async (from: Date, to: Date) => {
      const page = await runs.list(tenantEm(db.orm, tenantId), { from, to }, { first: 10 });
      return { ids: page.rows.map((r) => r.id), count: await page.count() };
    };
    // Only Date is faked: the pool's timers keep running. The clock stands 2 minutes ahead, an id is made (the id
    // generator remembers that millisecond), then the clock is set right: the next ids stay ahead of it until it
    // catches up (as after an NTP step or a VM's resume), and the run is accepted in that window.
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    vi.setSystemTime(now + 2 * 60_000);
    newId();
    vi.setSystemTime(now);
    const run = await accept();
    vi.useRealTimers();

    const at = run.createdAt.getTime();
    expect(await list(new Date(at), new Date(at + 1))).toEqual({ ids: [run.id], count: 1 });
    expect(await list(new Date(at - 1_000), new Date(at + 1_000))).toEqual({ ids: [run.id], count: 1 });
  });
});
