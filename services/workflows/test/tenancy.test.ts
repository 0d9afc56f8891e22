import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, viewer, type Harness } from './support/harness.js';

let h: Harness;
const TENANT_A = newTenant();
const TENANT_B = newTenant();
let workflowId: string;
let versionId: string;

beforeAll(async () => {
  h = await startWorkflows();
  const { workflow, version } = await h.createWorkflow(owner(TENANT_A), { name: "A's secret workflow" });
  workflowId = workflow.id;
  versionId = version.id;
});
afterAll(async () => { await h?.stop(); });

const attempts: Record<string, { query: string; variables: () => object }> = {
  'read the workflow': { query: `query($id: ID!) { workflow(id: $id) { id name } }`, variables: () => ({ id: workflowId }) },
  'read the version': { query: `query($id: ID!) { workflowVersion(id: $id) { id steps { type } } }`, variables: () => ({ id: versionId }) },
  'save a version on the workflow': {
    query: `mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id } }`,
    variables: () => ({ i: { workflowId, baseVersionId: versionId, steps: stepsOver(1) } }),
  },
  'resolve the workflow as an entity reference': {
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { id name } } }`,
    variables: () => ({ r: [{ __typename: 'Workflow', id: workflowId }] }),
  },
  'resolve the version as an entity reference': {
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkflowVersion { id steps { type } } } }`,
    variables: () => ({ r: [{ __typename: 'WorkflowVersion', id: versionId }] }),
  },
};

describe('tenant isolation', () => {
  for (const [what, attempt] of Object.entries(attempts)) {
    it(`answers NOT_FOUND when another tenant tries to ${what}`, async () => {
      const result = await h.gql(owner(TENANT_B), attempt.query, attempt.variables());
      expect(errorCodes(result)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(result)).not.toContain("A's secret");
    });
  }

  it('lets the owning tenant resolve the same references', async () => {
    const result = await h.gql(owner(TENANT_A), attempts['resolve the version as an entity reference']!.query, attempts['resolve the version as an entity reference']!.variables());
    expect(result).toEqual({ data: { _entities: [{ id: versionId, steps: [{ type: 'filter' }, { type: 'output' }] }] } });
  });

  it('answers 404 NOT_FOUND when a sibling service asks for another tenant\'s version over the internal route', async () => {
    const theirs = await h.internal(owner(TENANT_B), `/internal/versions/${versionId}`);
    expect(theirs).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    const mine = await h.internal(owner(TENANT_A), `/internal/versions/${versionId}`);
    expect(mine).toEqual({ status: 200, body: { id: versionId, workflowId, number: 1, steps: stepsOver(100) } });
  });

  it('answers 404 NOT_FOUND when a sibling service asks whether another tenant\'s workflow exists', async () => {
    expect(await h.internal(owner(TENANT_B), `/internal/workflows/${workflowId}`)).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    expect(await h.internal(owner(TENANT_A), `/internal/workflows/${workflowId}`)).toEqual({ status: 200, body: { id: workflowId } });
  });

  it('answers 401 on the internal route without a token, or with a token meant for another service', async () => {
    expect((await h.internal(null, `/internal/versions/${versionId}`)).status).toBe(401);
    const misdirected = await h.internal(owner(TENANT_A), `/internal/versions/${versionId}`, 'files');
    expect(misdirected).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: expect.any(String) } } });
  });

  it('leaves the workflow untouched and lists nothing of it for the other tenant', async () => {
    const mine = await h.gql(owner(TENANT_A), `query($id: ID!) { workflow(id: $id) { name latestVersion { id number } } }`, { id: workflowId });
    expect(mine.data.workflow).toEqual({ name: "A's secret workflow", latestVersion: { id: versionId, number: 1 } });
    const theirs = await h.gql(owner(TENANT_B), `{ workflows { edges { node { id } } } }`);
    expect(theirs).toEqual({ data: { workflows: { edges: [] } } });
  });
});

describe('roles', () => {
  it('lets a viewer read workflows, versions and the rule catalog', async () => {
    const result = await h.gql(viewer(TENANT_A), `query($w: ID!, $v: ID!) {
      workflows { edges { node { id } } } workflow(id: $w) { name } workflowVersion(id: $v) { number } ruleTypes { type } }`,
    { w: workflowId, v: versionId });
    expect(result.errors).toBeUndefined();
    expect(result.data.workflows.edges).toEqual([{ node: { id: workflowId } }]);
    expect(result.data.workflowVersion).toEqual({ number: 1 });
  });

  it('answers FORBIDDEN when a viewer creates a workflow or saves a version, and writes nothing', async () => {
    const create = await h.gql(viewer(TENANT_A), `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
      { i: { name: 'Nope', steps: stepsOver(1) } });
    expect(errorCodes(create)).toEqual(['FORBIDDEN']);
    const save = await h.saveVersion(viewer(TENANT_A), { workflowId, baseVersionId: versionId });
    expect(errorCodes(save)).toEqual(['FORBIDDEN']);

    const after = await h.gql(owner(TENANT_A), `query($id: ID!) { workflows { edges { node { id } } } workflow(id: $id) { latestVersion { id } } }`, { id: workflowId });
    expect(after.data).toEqual({ workflows: { edges: [{ node: { id: workflowId } }] }, workflow: { latestVersion: { id: versionId } } });
  });
});
