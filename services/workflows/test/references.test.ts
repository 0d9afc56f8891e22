import { randomUUID } from 'node:crypto';
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createOrm, migrate, newId, tenantEm, type Orm, type Principal } from '@rowline/kit';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { captureSql, selects } from '@rowline/testing/plans';
import { buildWorkflowsSchema, entities, migrations, SCHEMA } from '../src/index.js';
import { createWorkflowsDomain } from '../src/domain/workflows.js';

/**
 * `Workflow` and `WorkflowVersion` as the gateway asks for them: one `_entities` call naming every workflow or version
 * of another subgraph's list (`executions { workflow { name latestVersion { number } } workflowVersion { number } }`).
 * Each representation must answer what it answers alone (the row, or NOT_FOUND at its own index), and the call must
 * cost one statement per type read, however many representations it holds.
 */

let db: TestDatabase;
let orm: Orm;
let schema: GraphQLSchema;
const acme = randomUUID();
const other = randomUUID();
/** Acme's 30 workflows, each with two versions (the second its head); `versions[i]` are workflow i's, oldest first. */
const workflows = Array.from({ length: 30 }, () => newId());
const versions = workflows.map(() => [newId(), newId()]);
/** Other Co's workflow and its one version. */
const [theirs, theirVersion] = [newId(), newId()];
/** An Acme workflow without a head (as a row written before its first version). */
const headless = newId();

const sql = (query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute(query, params);
async function insertWorkflow(tenantId: string, id: string, versionIds: string[]) {
  await sql(`insert into workflows.workflows (id, tenant_id, name, latest_version_id, latest_version_number, created_by, created_at, updated_at)
    values (?, ?, ?, ?, ?, 'user-1', now(), now())`, [id, tenantId, `Flow of ${tenantId}`, versionIds.at(-1) ?? null, versionIds.length]);
  for (const [i, versionId] of versionIds.entries()) {
    await sql(`insert into workflows.workflow_versions (id, tenant_id, workflow_id, number, steps, note, created_by, created_at)
      values (?, ?, ?, ?, '[]', ?, 'user-1', now())`, [versionId, tenantId, id, i + 1, `version ${i + 1}`]);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('workflows_references');
  orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger: createLogger({ service: 'workflows-test', level: 'silent' }) });
  await migrate(orm, SCHEMA);
  const domain = createWorkflowsDomain({ validateSteps: () => [] });
  schema = await buildWorkflowsSchema({ domain, ruleTypes: () => [], validateSteps: () => [], preview: undefined as never });
  for (const [i, id] of workflows.entries()) await insertWorkflow(acme, id, versions[i]!);
  await insertWorkflow(acme, headless, []);
  await insertWorkflow(other, theirs, [theirVersion]);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'user-1', role: 'VIEWER', scopes: [] });
const logger = createLogger({ service: 'workflows-test', level: 'silent' });

function request(tenantId: string, source: string, variableValues: Record<string, unknown> = {}): Promise<ExecutionResult<any>> {
  const contextValue = { requestId: randomUUID(), principal: principal(tenantId), logger, em: tenantEm(orm, tenantId) };
  return graphql({ schema, source, variableValues, contextValue }) as Promise<ExecutionResult<any>>;
}

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Workflow { id name status latestVersion { id number note workflow { id } } }
  ... on WorkflowVersion { id number note workflow { id name latestVersion { id } } } } }`;
const workflowRefs = (ids: string[]) => ids.map((id) => ({ __typename: 'Workflow', id }));
const versionRefs = (ids: string[]) => ids.map((id) => ({ __typename: 'WorkflowVersion', id }));
/** Each item of `_entities`: its data, or the code of the error at its index (and the data, null). */
const answers = (result: ExecutionResult<any>) => (result.data!._entities as unknown[]).map((data, i) => {
  const errors = (result.errors ?? []).filter((e) => e.path?.[1] === i);
  return errors.length ? { data, errors: errors.map((e) => [(e.originalError as { code?: string }).code, e.path!.join('.')]) } : { data };
});

/** Each representation resolved in a request of its own: one reference resolver call, as before batching. */
async function alone(tenantId: string, refs: Array<{ __typename: string; id: string }>) {
  return Promise.all(refs.map(async (ref, i) => {
    const [answer] = answers(await request(tenantId, ENTITIES, { r: [ref] }));
    // Its error's path as it would be at its index in the call naming them all.
    return answer!.errors ? { ...answer, errors: answer!.errors.map(([code]) => [code, `_entities.${i}`]) } : answer;
  }));
}

/** Acme's own, another tenant's, missing, malformed, in capitals, repeated: every kind of id a representation may hold. */
const mixed = (own: string[], theirsId: string) => [
  own[0]!, theirsId, newId(), 'not-an-id', own[1]!.toUpperCase(), own[2]!, '', own[0]!, `${own[3]!} `, own[4]!,
];

describe('Workflow and WorkflowVersion references of one _entities call', () => {
  it('answer each workflow what it answers alone: the row, or NOT_FOUND at its index and the others unharmed', async () => {
    const refs = workflowRefs([...mixed(workflows, theirs), headless]);
    const together = answers(await request(acme, ENTITIES, { r: refs }));
    expect(together).toEqual(await alone(acme, refs));
    expect(together.map((a) => a.data === null ? a.errors : (a.data as any).latestVersion?.number ?? 'no head')).toEqual([
      2, [['NOT_FOUND', '_entities.1']], [['NOT_FOUND', '_entities.2']], [['NOT_FOUND', '_entities.3']], 2, 2,
      [['NOT_FOUND', '_entities.6']], 2, [['NOT_FOUND', '_entities.8']], 2, 'no head',
    ]);
    expect(together[4]!.data).toMatchObject({ id: workflows[1], latestVersion: { id: versions[1]![1], workflow: { id: workflows[1] } } });
  });

  it('answer each version what it answers alone, old versions and heads alike', async () => {
    const refs = versionRefs([...mixed(versions.map((v) => v[0]!), theirVersion), versions[5]![1]!]);
    const together = answers(await request(acme, ENTITIES, { r: refs }));
    expect(together).toEqual(await alone(acme, refs));
    expect(together.map((a) => a.data === null ? a.errors![0]![0] : (a.data as any).number)).toEqual([
      1, 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 1, 1, 'NOT_FOUND', 1, 'NOT_FOUND', 1, 2,
    ]);
    expect(together[0]!.data).toEqual({
      id: versions[0]![0], number: 1, note: 'version 1', workflow: { id: workflows[0], name: `Flow of ${acme}`, latestVersion: { id: versions[0]![1] } },
    });
  });

  it('read 30 workflows with their latest versions in one statement each, as 30 versions with their workflows', async () => {
    const statements = async (refs: Array<{ __typename: string; id: string }>) => {
      const { result, statements: sent } = await captureSql(orm as never, () => request(acme, ENTITIES, { r: refs }));
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(refs.length);
      return selects(sent);
    };
    const ofWorkflows = await statements(workflowRefs(workflows));
    expect(ofWorkflows.filter((s) => /from "workflows"\."workflows"/.test(s))).toHaveLength(1);
    expect(ofWorkflows.filter((s) => /from "workflows"\."workflow_versions"/.test(s))).toHaveLength(1);
    expect(ofWorkflows).toHaveLength(2);
    // Each version's workflow, then that workflow's head: a statement per level of the selection, not per version.
    expect(await statements(versionRefs(versions.map((v) => v[0]!)))).toHaveLength(3);
    // Five cost what thirty cost.
    expect(await statements(workflowRefs(workflows.slice(0, 5)))).toHaveLength(2);
  });
});

describe('Workflow and WorkflowVersion references across tenants', () => {
  it('answer another tenant\'s workflows and versions NOT_FOUND, batched beside the caller\'s own', async () => {
    const refs = [...workflowRefs([workflows[0]!, theirs, workflows[1]!]), ...versionRefs([versions[0]![1]!, theirVersion])];
    const result = await request(other, ENTITIES, { r: refs });
    expect(answers(result).map((a) => a.errors ?? (a.data as any).id)).toEqual([
      [['NOT_FOUND', '_entities.0']], theirs, [['NOT_FOUND', '_entities.2']], [['NOT_FOUND', '_entities.3']], theirVersion,
    ]);
    expect(JSON.stringify(result)).not.toContain(`Flow of ${acme}`);
  });
});
