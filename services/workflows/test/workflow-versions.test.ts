import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createOrm, migrate, newId, tenantEm, type Orm, type Principal } from '@rowline/kit';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { captureSql, selects } from '@rowline/testing/plans';
import { buildWorkflowsSchema, entities, migrations, SCHEMA } from '../src/index.js';
import { createWorkflowsDomain } from '../src/domain/workflows.js';

/**
 * `Workflow.versions` of every workflow of a list (`workflows { ... versions }`, or the gateway's `_entities` call):
 * each workflow's field must answer what `workflow(id) { versions }` answers for it alone, and the whole request
 * must cost the same few statements however many workflows it names.
 */

let db: TestDatabase;
let orm: Orm;
let schema: GraphQLSchema;
const domain = createWorkflowsDomain({ validateSteps: () => [] });
const acme = randomUUID();
const other = randomUUID();
/** Acme's workflows, with 1, 2, 3, 5 and 8 versions; their versions' ids interleave, so a cursor of one falls among the others'. */
const VERSIONS = [1, 2, 3, 5, 8];
const workflows = VERSIONS.map(() => newId());
/** Other Co's own workflow, with 2 versions. */
const theirs = newId();
/** 50 more workflows of Acme's, with 1 to 4 versions each. */
const many = Array.from({ length: 50 }, () => newId());

const sql = (query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute(query, params);
const insertWorkflow = (tenantId: string, id: string) => sql(`insert into workflows.workflows (id, tenant_id, name, created_by, created_at, updated_at)
  values (?, ?, 'Big sales', 'user-1', now(), now())`, [id, tenantId]);
const insertVersion = (tenantId: string, workflowId: string, number: number) => sql(`insert into workflows.workflow_versions
  (id, tenant_id, workflow_id, number, steps, created_by, created_at) values (?, ?, ?, ?, '[]', 'user-1', now())`, [newId(), tenantId, workflowId, number]);

beforeAll(async () => {
  db = await createTestDatabase('workflows_versions');
  orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger: createLogger({ service: 'workflows-test', level: 'silent' }) });
  await migrate(orm, SCHEMA);
  schema = await buildWorkflowsSchema({ domain, ruleTypes: () => [], validateSteps: () => [], preview: undefined as never });
  for (const id of [...workflows, ...many]) await insertWorkflow(acme, id);
  await insertWorkflow(other, theirs);
  for (let round = 0; round < Math.max(...VERSIONS); round++) {
    for (const [i, workflowId] of workflows.entries()) if (round < VERSIONS[i]!) await insertVersion(acme, workflowId, round + 1);
    if (round < 2) await insertVersion(other, theirs, round + 1);
  }
  await sql(`insert into workflows.workflow_versions (id, tenant_id, workflow_id, number, steps, created_by, created_at)
    select gen_random_uuid(), ?, w.id, n, '[]', 'user-1', now()
    from unnest(array[?]::uuid[]) with ordinality as w(id, i), generate_series(1, (w.i % 4)::int + 1) as n`, [acme, many]);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'user-1', role: 'VIEWER', scopes: [] });
const logger = createLogger({ service: 'workflows-test', level: 'silent' });

async function request(tenantId: string, source: string, variableValues: Record<string, unknown> = {}): Promise<ExecutionResult<any>> {
  const contextValue = { requestId: randomUUID(), principal: principal(tenantId), logger, em: tenantEm(orm, tenantId) };
  return graphql({ schema, source, variableValues, contextValue });
}

const PAGE = 'edges { cursor node { id number workflow { id } } } pageInfo { hasNextPage endCursor }';
const ENTITIES = (fields: string) => `query($r: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $r) { ... on Workflow { versions(first: $first, after: $after) { ${fields} } } } }`;
const LIST = (fields: string) => `query($n: Int, $first: Int, $after: String) {
  workflows(first: $n) { edges { node { versions(first: $first, after: $after) { ${fields} } } } } }`;
const ALONE = (fields: string) => `query($id: ID!, $first: Int, $after: String) {
  workflow(id: $id) { versions(first: $first, after: $after) { ${fields} } } }`;
const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'Workflow', id }));
const codeAndPath = (result: ExecutionResult) =>
  (result.errors ?? []).map((e) => [(e.originalError as { code?: string } | undefined)?.code, e.path?.join('.')]);

/** Each workflow's versions as `workflow(id) { versions }` answers them, one request per workflow. */
async function alone(tenantId: string, ids: string[], args: { first?: number; after?: string | null }, fields: string) {
  return Promise.all(ids.map(async (id) => {
    const result = await request(tenantId, ALONE(fields), { id, ...args });
    expect(result.errors).toBeUndefined();
    return result.data!.workflow.versions;
  }));
}

async function together(tenantId: string, ids: string[], args: { first?: number; after?: string | null }, fields: string) {
  const result = await request(tenantId, ENTITIES(fields), { r: representations(ids), ...args });
  expect(result.errors).toBeUndefined();
  return result.data!._entities.map((w: any) => w.versions);
}

describe('Workflow.versions of many workflows in one request', () => {
  it('answers each workflow what workflow(id) { versions } answers it alone, for every first and after', async () => {
    const newest = (await alone(acme, [workflows.at(-1)!], { first: 100 }, PAGE))[0].edges.map((e: any) => e.cursor);
    // Cursors of the busiest workflow's versions: newer than every other version, among the others', older than all but its own.
    const cursors = [null, newest[0], newest[2], newest[5], newest.at(-1)];
    for (const after of cursors) {
      for (const first of [0, 1, 2, 3, 20]) {
        const fields = `${PAGE} totalCount`;
        expect(await together(acme, workflows, { first, after }, fields), `first ${first}, after ${after}`)
          .toEqual(await alone(acme, workflows, { first, after }, fields));
      }
    }
  });

  it('answers the workflows of a list, the default page size and a workflow named in capitals as each alone', async () => {
    const result = await request(acme, LIST(`${PAGE} totalCount`), { n: 100, first: 2 });
    expect(result.errors).toBeUndefined();
    const listed = result.data!.workflows.edges.map((e: any) => e.node.versions);
    expect(listed).toEqual(await alone(acme, [...workflows, ...many], { first: 2 }, `${PAGE} totalCount`));
    const ids = [workflows[4]!.toUpperCase(), workflows[0]!];
    expect(await together(acme, ids, {}, `${PAGE} totalCount`)).toEqual(await alone(acme, [workflows[4]!, workflows[0]!], {}, `${PAGE} totalCount`));
  });

  it('reads the versions of a list of 55 workflows in one statement, and their counts in one more only when totalCount is asked', async () => {
    const sent = async (workflowCount: number, fields: string) => {
      const { result, statements } = await captureSql(orm as never, () => request(acme, LIST(fields), { n: workflowCount, first: 2 }));
      expect(result.errors).toBeUndefined();
      expect(result.data!.workflows.edges).toHaveLength(workflowCount);
      return selects(statements).filter((s) => /workflow_versions/.test(s));
    };
    const pages = await sent(55, PAGE);
    expect(pages).toHaveLength(1);
    expect(pages.filter((s) => /count\(/i.test(s))).toEqual([]);

    const counted = await sent(55, `${PAGE} totalCount`);
    expect(counted).toHaveLength(2);
    expect(counted.filter((s) => /count\(/i.test(s))).toHaveLength(1);
    // Not proportional to the workflows: five cost as many statements as fifty-five.
    expect(await sent(5, `${PAGE} totalCount`)).toHaveLength(2);
  });
});

describe('Workflow.versions across tenants', () => {
  it('answers another tenant\'s workflows as ones without versions, batched beside the caller\'s own', async () => {
    const em = tenantEm(orm, other);
    const pages = await Promise.all([workflows.at(-1)!, theirs, workflows[2]!].map((id) => domain.versionsOf(em, id, { first: 5 })));
    expect(await Promise.all(pages.map(async (p) => [p.rows.map((v) => v.workflowId), await p.count()])))
      .toEqual([[[], 0], [[theirs, theirs], 2], [[], 0]]);
    // Through the API another tenant's workflow is not found at all, before its versions.
    const result = await request(other, ENTITIES(PAGE), { r: representations([workflows[0]!, theirs]) });
    expect(codeAndPath(result)).toEqual([['NOT_FOUND', '_entities.0']]);
    expect(result.data!._entities[1].versions.edges).toHaveLength(2);
  });
});

describe('Workflow.versions refusals', () => {
  it('refuses a malformed cursor and a first outside 0..100 at every workflow\'s field', async () => {
    for (const args of [{ after: 'not a cursor' }, { first: 101 }, { first: -1 }]) {
      const result = await request(acme, ENTITIES(PAGE), { r: representations(workflows.slice(0, 2)), ...args });
      expect(codeAndPath(result).sort(), JSON.stringify(args)).toEqual([['BAD_USER_INPUT', '_entities.0.versions'], ['BAD_USER_INPUT', '_entities.1.versions']]);
    }
  });
});
