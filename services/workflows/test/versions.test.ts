import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const VERSION = `query($id: ID!) { workflowVersion(id: $id) { id number note createdAt steps { type params } workflow { id } } }`;
const HEAD = `query($id: ID!) { workflow(id: $id) { latestVersion { id number } versions(first: 100) { edges { node { id number } } } } }`;

describe('saving versions', () => {
  it('numbers versions 1, 2, 3 and leaves the earlier ones exactly as they were', async () => {
    const me = owner(newTenant());
    const { workflow, version: v1 } = await h.createWorkflow(me, { steps: stepsOver(100) });
    expect(v1.number).toBe(1);
    const firstRead = await h.gql(me, VERSION, { id: v1.id });

    const v2 = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: v1.id, steps: stepsOver(200), note: 'raise the bar' });
    expect(v2.errors).toBeUndefined();
    expect(v2.data.saveWorkflowVersion).toMatchObject({ number: 2, note: 'raise the bar', steps: stepsOver(200) });
    const v3 = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: v2.data.saveWorkflowVersion.id, steps: stepsOver(300) });
    expect(v3.data.saveWorkflowVersion.number).toBe(3);

    const again = await h.gql(me, VERSION, { id: v1.id });
    expect(again).toEqual(firstRead);
    expect(again.data.workflowVersion).toMatchObject({ number: 1, note: 'Initial version', steps: stepsOver(100), workflow: { id: workflow.id } });
    expect((await h.gql(me, VERSION, { id: v2.data.saveWorkflowVersion.id })).data.workflowVersion.steps).toEqual(stepsOver(200));

    const head = (await h.gql(me, HEAD, { id: workflow.id })).data.workflow;
    expect(head.latestVersion).toEqual({ id: v3.data.saveWorkflowVersion.id, number: 3 });
    expect(head.versions.edges.map((e: any) => e.node.number)).toEqual([3, 2, 1]);
  });

  it('answers the saved version with its workflow already pointing at it', async () => {
    const me = owner(newTenant());
    const { workflow, version: v1 } = await h.createWorkflow(me);
    const before = (await h.gql(me, `query($id: ID!) { workflow(id: $id) { updatedAt } }`, { id: workflow.id })).data.workflow;

    const saved = await h.gql(me, `mutation($i: SaveWorkflowVersionInput!) {
      saveWorkflowVersion(input: $i) { id number workflow { updatedAt latestVersion { id number } versions(first: 1) { edges { node { id } } } } } }`,
    { i: { workflowId: workflow.id, baseVersionId: v1.id, steps: stepsOver(200) } });
    expect(saved.errors).toBeUndefined();
    const { id, workflow: head } = saved.data.saveWorkflowVersion;
    expect(head.latestVersion).toEqual({ id, number: 2 });
    expect(head.versions.edges[0].node.id).toBe(id);
    expect(Date.parse(head.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
  });

  it('answers CONFLICT, with the current head, when the base version is no longer the latest', async () => {
    const me = owner(newTenant());
    const { workflow, version: v1 } = await h.createWorkflow(me);
    const v2 = (await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: v1.id })).data.saveWorkflowVersion;

    const stale = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: v1.id, steps: stepsOver(999) });
    expect(errorCodes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors![0]!.extensions.latestVersionId).toBe(v2.id);
    expect((await h.gql(me, HEAD, { id: workflow.id })).data.workflow.latestVersion).toEqual({ id: v2.id, number: 2 });
  });

  it('answers CONFLICT, not an internal error, for a base version id that is not an id at all', async () => {
    const me = owner(newTenant());
    const { workflow } = await h.createWorkflow(me);
    const result = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: 'not-a-version' });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
  });

  it('lets exactly one of several concurrent saves on the same base win', async () => {
    const me = owner(newTenant());
    const { workflow, version: v1 } = await h.createWorkflow(me);

    const results = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      h.saveVersion(me, { workflowId: workflow.id, baseVersionId: v1.id, steps: stepsOver(1000 + i), note: `editor ${i}` })));

    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.errors).map(errorCodes)).toEqual(Array(5).fill(['CONFLICT']));
    const winner = winners[0]!.data.saveWorkflowVersion;
    expect(winner.number).toBe(2);
    const head = (await h.gql(me, HEAD, { id: workflow.id })).data.workflow;
    expect(head.latestVersion).toEqual({ id: winner.id, number: 2 });
    expect(head.versions.edges.map((e: any) => e.node.id)).toEqual([winner.id, v1.id]);
  });

  it('answers NOT_FOUND when saving on a workflow that does not exist', async () => {
    const me = owner(newTenant());
    const { version } = await h.createWorkflow(me);
    const result = await h.saveVersion(me, { workflowId: '0193a000-0000-7000-8000-0000000000ff', baseVersionId: version.id });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
  });
});
