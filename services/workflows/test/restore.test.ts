import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const RESTORE = `mutation($id: ID!) { restoreWorkflowVersion(versionId: $id) { id number note steps { type params } workflow { id } } }`;
const HISTORY = `query($id: ID!) { workflow(id: $id) { latestVersion { id number } versions(first: 100) { edges { node { id number note steps { type params } } } } } }`;

/** A workflow with versions 1 (over 100), 2 (over 200) and 3 (over 300). */
async function threeVersions(caller: ReturnType<typeof owner>) {
  const { workflow, version: v1 } = await h.createWorkflow(caller, { steps: stepsOver(100) });
  const v2 = (await h.saveVersion(caller, { workflowId: workflow.id, baseVersionId: v1.id, steps: stepsOver(200) })).data.saveWorkflowVersion;
  const v3 = (await h.saveVersion(caller, { workflowId: workflow.id, baseVersionId: v2.id, steps: stepsOver(300) })).data.saveWorkflowVersion;
  return { workflowId: workflow.id, v1, v2, v3 };
}

describe('restoring a version', () => {
  it('saves a new head with the old version\'s steps, noted "Restored from version N"', async () => {
    const me = owner(newTenant());
    const { workflowId, v1 } = await threeVersions(me);

    const result = await h.gql(me, RESTORE, { id: v1.id });
    expect(result.errors).toBeUndefined();
    const restored = result.data.restoreWorkflowVersion;
    expect(restored).toEqual({ id: expect.any(String), number: 4, note: 'Restored from version 1', steps: stepsOver(100), workflow: { id: workflowId } });
    expect(restored.id).not.toBe(v1.id);

    const history = (await h.gql(me, HISTORY, { id: workflowId })).data.workflow;
    expect(history.latestVersion).toEqual({ id: restored.id, number: 4 });
  });

  it('answers the restored version with its workflow already pointing at it', async () => {
    const me = owner(newTenant());
    const { v1 } = await threeVersions(me);

    const result = await h.gql(me, `mutation($id: ID!) { restoreWorkflowVersion(versionId: $id) { id workflow { latestVersion { id number } } } }`, { id: v1.id });
    expect(result.errors).toBeUndefined();
    const restored = result.data.restoreWorkflowVersion;
    expect(restored.workflow.latestVersion).toEqual({ id: restored.id, number: 4 });
  });

  it('leaves every earlier version exactly as it was', async () => {
    const me = owner(newTenant());
    const { workflowId, v1 } = await threeVersions(me);
    const before = (await h.gql(me, HISTORY, { id: workflowId })).data.workflow.versions.edges.map((e: any) => e.node);

    await h.gql(me, RESTORE, { id: v1.id });
    const after = (await h.gql(me, HISTORY, { id: workflowId })).data.workflow.versions.edges.map((e: any) => e.node);
    expect(after.slice(1)).toEqual(before);
    expect(after.map((v: any) => v.number)).toEqual([4, 3, 2, 1]);
  });

  it('restores the head itself as one more version with the same steps', async () => {
    const me = owner(newTenant());
    const { v3 } = await threeVersions(me);
    const result = await h.gql(me, RESTORE, { id: v3.id });
    expect(result.data.restoreWorkflowVersion).toMatchObject({ number: 4, note: 'Restored from version 3', steps: stepsOver(300) });
  });

  it('makes a base taken before the restore stale', async () => {
    const me = owner(newTenant());
    const { workflowId, v1, v3 } = await threeVersions(me);
    await h.gql(me, RESTORE, { id: v1.id });
    expect(errorCodes(await h.saveVersion(me, { workflowId, baseVersionId: v3.id }))).toEqual(['CONFLICT']);
  });

  it('refuses to restore into an archived workflow as CONFLICT', async () => {
    const me = owner(newTenant());
    const { workflowId, v1 } = await threeVersions(me);
    await h.gql(me, `mutation($id: ID!) { archiveWorkflow(id: $id) { id } }`, { id: workflowId });
    expect(errorCodes(await h.gql(me, RESTORE, { id: v1.id }))).toEqual(['CONFLICT']);
    expect((await h.gql(me, HISTORY, { id: workflowId })).data.workflow.latestVersion.number).toBe(3);
  });

  it('answers NOT_FOUND for another tenant\'s version and adds nothing to its history', async () => {
    const alice = owner(newTenant());
    const { workflowId, v1 } = await threeVersions(alice);
    expect(errorCodes(await h.gql(owner(newTenant()), RESTORE, { id: v1.id }))).toEqual(['NOT_FOUND']);
    expect((await h.gql(alice, HISTORY, { id: workflowId })).data.workflow.latestVersion.number).toBe(3);
  });

  it('answers NOT_FOUND for a version id that is not a uuid', async () => {
    expect(errorCodes(await h.gql(owner(newTenant()), RESTORE, { id: 'v1' }))).toEqual(['NOT_FOUND']);
  });

  it('refuses a VIEWER as FORBIDDEN', async () => {
    const tenant = newTenant();
    const { workflowId, v1 } = await threeVersions(owner(tenant));
    expect(errorCodes(await h.gql(viewer(tenant), RESTORE, { id: v1.id }))).toEqual(['FORBIDDEN']);
    expect((await h.gql(viewer(tenant), HISTORY, { id: workflowId })).data.workflow.latestVersion.number).toBe(3);
  });
});
