import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, type GraphQLResult, type Harness } from './support/harness.js';

let h: Harness;
const me = owner(newTenant());
const created: string[] = [];

beforeAll(async () => {
  h = await startWorkflows();
  for (let i = 1; i <= 5; i++) created.push((await h.createWorkflow(me, { name: `Workflow ${i}` })).workflow.id);
});
afterAll(async () => { await h?.stop(); });

const PAGE = `query($first: Int, $after: String) { workflows(first: $first, after: $after) {
  edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;

describe('listing workflows', () => {
  it('walks every workflow oldest first, two at a time, following endCursor', async () => {
    const pages: Array<{ names: string[]; hasNextPage: boolean }> = [];
    let after: string | null = null;
    do {
      const result: GraphQLResult = await h.gql(me, PAGE, { first: 2, after });
      expect(result.errors).toBeUndefined();
      const { edges, pageInfo } = result.data.workflows;
      pages.push({ names: edges.map((e: any) => e.node.name), hasNextPage: pageInfo.hasNextPage });
      expect(pageInfo.endCursor).toBe(edges.at(-1).cursor);
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);

    expect(pages).toEqual([
      { names: ['Workflow 1', 'Workflow 2'], hasNextPage: true },
      { names: ['Workflow 3', 'Workflow 4'], hasNextPage: true },
      { names: ['Workflow 5'], hasNextPage: false },
    ]);
  });

  it('answers the 20 first by default and an empty last page with no cursor', async () => {
    const all = await h.gql(me, PAGE, {});
    expect(all.data.workflows.edges.map((e: any) => e.node.id)).toEqual(created);
    const past = await h.gql(me, PAGE, { first: 5, after: all.data.workflows.pageInfo.endCursor });
    expect(past.data.workflows).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('accepts first = 100 and refuses first above 100 or negative as BAD_USER_INPUT', async () => {
    expect((await h.gql(me, PAGE, { first: 100 })).data.workflows.edges).toHaveLength(5);
    for (const first of [101, -1]) {
      const result = await h.gql(me, PAGE, { first });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.argument).toBe('first');
    }
  });

  it('refuses a cursor it did not issue as BAD_USER_INPUT', async () => {
    expect(errorCodes(await h.gql(me, PAGE, { after: 'bm90LWEtY3Vyc29y' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers first = 0 with no edges, and a next page while any workflow lies after the cursor', async () => {
    expect((await h.gql(me, PAGE, { first: 0 })).data.workflows).toEqual({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    const fourth = (await h.gql(me, PAGE, { first: 4 })).data.workflows.pageInfo.endCursor;
    expect((await h.gql(me, PAGE, { first: 0, after: fourth })).data.workflows.pageInfo.hasNextPage).toBe(true);
    const fifth = (await h.gql(me, PAGE, { first: 5 })).data.workflows.pageInfo.endCursor;
    expect((await h.gql(me, PAGE, { first: 0, after: fifth })).data.workflows.pageInfo.hasNextPage).toBe(false);
  });
});

const COUNTED = `query($first: Int, $after: String, $archived: Boolean) { workflows(first: $first, after: $after, includeArchived: $archived) {
  totalCount edges { node { id } } pageInfo { endCursor } } }`;
const VERSIONS = `query($id: ID!, $first: Int, $after: String) { workflow(id: $id) { versions(first: $first, after: $after) {
  totalCount edges { node { number } } pageInfo { endCursor } } } }`;

describe('totalCount', () => {
  it('counts the tenant\'s active workflows on every page, archived ones too when asked, and no other tenant\'s', async () => {
    const tenant = owner(newTenant());
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) ids.push((await h.createWorkflow(tenant, { name: `Counted ${i}` })).workflow.id);
    expect(errorCodes(await h.gql(tenant, 'mutation($id: ID!) { archiveWorkflow(id: $id) { id } }', { id: ids[1] }))).toEqual([]);

    const page1 = (await h.gql(tenant, COUNTED, { first: 1 })).data.workflows;
    const page2 = (await h.gql(tenant, COUNTED, { first: 1, after: page1.pageInfo.endCursor })).data.workflows;
    expect([page1, page2].map((p) => [p.totalCount, p.edges.map((e: any) => e.node.id)])).toEqual([[2, [ids[0]]], [2, [ids[2]]]]);
    expect((await h.gql(tenant, COUNTED, { first: 0, archived: true })).data.workflows).toMatchObject({ totalCount: 3, edges: [] });
    // `me` holds five workflows of its own: neither count includes the other's.
    expect((await h.gql(me, COUNTED, { first: 0, archived: true })).data.workflows.totalCount).toBe(5);
  });

  it('counts a workflow\'s versions on every page', async () => {
    const tenant = owner(newTenant());
    const { workflow, version } = await h.createWorkflow(tenant, { name: 'Versioned' });
    const v2 = (await h.saveVersion(tenant, { workflowId: workflow.id, baseVersionId: version.id })).data.saveWorkflowVersion.id;
    await h.saveVersion(tenant, { workflowId: workflow.id, baseVersionId: v2 });
    const page1 = (await h.gql(tenant, VERSIONS, { id: workflow.id, first: 2 })).data.workflow.versions;
    const page2 = (await h.gql(tenant, VERSIONS, { id: workflow.id, first: 2, after: page1.pageInfo.endCursor })).data.workflow.versions;
    expect([page1, page2].map((p) => [p.totalCount, p.edges.map((e: any) => e.node.number)])).toEqual([[3, [3, 2]], [3, [1]]]);
    expect((await h.gql(tenant, VERSIONS, { id: created[0], first: 0 })).data?.workflow ?? null).toBeNull();
  });
});
