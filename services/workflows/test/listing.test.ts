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

  it('accepts first = 100 and refuses first above 100, zero or negative as BAD_USER_INPUT', async () => {
    expect((await h.gql(me, PAGE, { first: 100 })).data.workflows.edges).toHaveLength(5);
    for (const first of [101, 0, -1]) {
      const result = await h.gql(me, PAGE, { first });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.argument).toBe('first');
    }
  });

  it('refuses a cursor it did not issue as BAD_USER_INPUT', async () => {
    expect(errorCodes(await h.gql(me, PAGE, { after: 'bm90LWEtY3Vyc29y' }))).toEqual(['BAD_USER_INPUT']);
  });
});
