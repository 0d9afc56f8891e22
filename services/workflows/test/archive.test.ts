import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const ARCHIVE = `mutation($id: ID!) { archiveWorkflow(id: $id) { id status } }`;
const LIST = `query($all: Boolean) { workflows(first: 100, includeArchived: $all) { edges { node { id status } } } }`;
const ids = (result: any): string[] => result.data.workflows.edges.map((e: any) => e.node.id);

describe('archiving a workflow', () => {
  it('marks the workflow ARCHIVED and hides it from workflows unless includeArchived is true', async () => {
    const me = owner(newTenant());
    const kept = await h.createWorkflow(me, { name: 'Kept' });
    const gone = await h.createWorkflow(me, { name: 'Gone' });

    const result = await h.gql(me, ARCHIVE, { id: gone.workflow.id });
    expect(result.errors).toBeUndefined();
    expect(result.data.archiveWorkflow).toEqual({ id: gone.workflow.id, status: 'ARCHIVED' });

    expect(ids(await h.gql(me, LIST, {}))).toEqual([kept.workflow.id]);
    expect(ids(await h.gql(me, LIST, { all: false }))).toEqual([kept.workflow.id]);
    const all = await h.gql(me, LIST, { all: true });
    expect(all.data.workflows.edges.map((e: any) => e.node)).toEqual([
      { id: kept.workflow.id, status: 'ACTIVE' },
      { id: gone.workflow.id, status: 'ARCHIVED' },
    ]);
  });

  it('still answers an archived workflow and its versions by id', async () => {
    const me = owner(newTenant());
    const { workflow, version } = await h.createWorkflow(me);
    await h.gql(me, ARCHIVE, { id: workflow.id });
    const result = await h.gql(me, `query($id: ID!) { workflow(id: $id) { status latestVersion { id } } }`, { id: workflow.id });
    expect(result.data.workflow).toEqual({ status: 'ARCHIVED', latestVersion: { id: version.id } });
  });

  it('accepts archiving twice and answers the archived workflow both times', async () => {
    const me = owner(newTenant());
    const { workflow } = await h.createWorkflow(me);
    for (let i = 0; i < 2; i++) {
      const result = await h.gql(me, ARCHIVE, { id: workflow.id });
      expect(result.errors).toBeUndefined();
      expect(result.data.archiveWorkflow.status).toBe('ARCHIVED');
    }
  });

  it('refuses a new version of an archived workflow as CONFLICT and keeps the head where it was', async () => {
    const me = owner(newTenant());
    const { workflow, version } = await h.createWorkflow(me);
    await h.gql(me, ARCHIVE, { id: workflow.id });

    const result = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: version.id, steps: stepsOver(300) });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    const head = await h.gql(me, `query($id: ID!) { workflow(id: $id) { latestVersion { id number } } }`, { id: workflow.id });
    expect(head.data.workflow.latestVersion).toEqual({ id: version.id, number: 1 });
  });

  it('answers NOT_FOUND for another tenant\'s workflow and leaves it active', async () => {
    const alice = owner(newTenant());
    const { workflow } = await h.createWorkflow(alice);
    expect(errorCodes(await h.gql(owner(newTenant()), ARCHIVE, { id: workflow.id }))).toEqual(['NOT_FOUND']);
    expect((await h.gql(alice, `query($id: ID!) { workflow(id: $id) { status } } `, { id: workflow.id })).data.workflow.status).toBe('ACTIVE');
  });

  it('answers NOT_FOUND for an id that is not a uuid', async () => {
    expect(errorCodes(await h.gql(owner(newTenant()), ARCHIVE, { id: 'nope' }))).toEqual(['NOT_FOUND']);
  });

  it('refuses a VIEWER as FORBIDDEN and leaves the workflow active', async () => {
    const tenant = newTenant();
    const { workflow } = await h.createWorkflow(owner(tenant));
    expect(errorCodes(await h.gql(viewer(tenant), ARCHIVE, { id: workflow.id }))).toEqual(['FORBIDDEN']);
    expect(ids(await h.gql(viewer(tenant), LIST, {}))).toEqual([workflow.id]);
  });
});
