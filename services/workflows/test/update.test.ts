import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const UPDATE = `mutation($i: UpdateWorkflowInput!) { updateWorkflow(input: $i) { id name description status } }`;
const UNARCHIVE = `mutation($id: ID!) { unarchiveWorkflow(id: $id) { id status } }`;
const ARCHIVE = `mutation($id: ID!) { archiveWorkflow(id: $id) { id } }`;
const READ = `query($id: ID!) { workflow(id: $id) { name description status latestVersion { number } } }`;
const SEARCH = `query($q: String, $all: Boolean, $first: Int, $after: String) {
  workflows(nameContains: $q, includeArchived: $all, first: $first, after: $after) { totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }`;
const names = (result: any): string[] => result.data.workflows.edges.map((e: any) => e.node.name);

describe('updateWorkflow', () => {
  it('renames a workflow and changes its description, each alone, and keeps its versions', async () => {
    const me = owner(newTenant());
    const { workflow } = await h.createWorkflow(me, { name: 'Big sales' });

    const renamed = await h.gql(me, UPDATE, { i: { id: workflow.id, name: '  Weekly big sales  ' } });
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data.updateWorkflow).toEqual({ id: workflow.id, name: 'Weekly big sales', description: 'Orders over a threshold', status: 'ACTIVE' });

    const described = await h.gql(me, UPDATE, { i: { id: workflow.id, description: 'Sent to the bank on Mondays' } });
    expect(described.data.updateWorkflow).toMatchObject({ name: 'Weekly big sales', description: 'Sent to the bank on Mondays' });

    const cleared = await h.gql(me, UPDATE, { i: { id: workflow.id, description: '' } });
    expect(cleared.data.updateWorkflow.description).toBe('');
    expect((await h.gql(me, READ, { id: workflow.id })).data.workflow).toEqual({ name: 'Weekly big sales', description: '', status: 'ACTIVE', latestVersion: { number: 1 } });
  });

  it('renames an archived workflow, which stays archived', async () => {
    const me = owner(newTenant());
    const { workflow } = await h.createWorkflow(me);
    await h.gql(me, ARCHIVE, { id: workflow.id });
    const result = await h.gql(me, UPDATE, { i: { id: workflow.id, name: 'Old chore' } });
    expect(result.data.updateWorkflow).toMatchObject({ name: 'Old chore', status: 'ARCHIVED' });
  });

  it('refuses an empty or too long name and a too long description as BAD_USER_INPUT, naming the field, and changes nothing', async () => {
    const me = owner(newTenant());
    const { workflow } = await h.createWorkflow(me, { name: 'Kept' });
    for (const [i, field] of [[{ name: '   ' }, 'name'], [{ name: 'x'.repeat(201) }, 'name'], [{ description: 'd'.repeat(2001) }, 'description']] as const) {
      const result = await h.gql(me, UPDATE, { i: { id: workflow.id, name: 'Changed', ...i } });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.field).toBe(field);
    }
    expect((await h.gql(me, READ, { id: workflow.id })).data.workflow.name).toBe('Kept');
  });

  it('refuses a description over 2,000 characters at createWorkflow too', async () => {
    const result = await h.gql(owner(newTenant()), `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
      { i: { name: 'Long', description: 'd'.repeat(2001), steps: stepsOver(1) } });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers NOT_FOUND for another tenant\'s workflow and for a malformed id, and leaves the workflow as it was', async () => {
    const alice = owner(newTenant());
    const { workflow } = await h.createWorkflow(alice, { name: 'Alice\'s' });
    expect(errorCodes(await h.gql(owner(newTenant()), UPDATE, { i: { id: workflow.id, name: 'Stolen' } }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(owner(newTenant()), UNARCHIVE, { id: workflow.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(alice, UPDATE, { i: { id: 'nope', name: 'x' } }))).toEqual(['NOT_FOUND']);
    expect((await h.gql(alice, READ, { id: workflow.id })).data.workflow.name).toBe('Alice\'s');
  });

  it('refuses a VIEWER as FORBIDDEN', async () => {
    const tenant = newTenant();
    const { workflow } = await h.createWorkflow(owner(tenant), { name: 'Kept' });
    expect(errorCodes(await h.gql(viewer(tenant), UPDATE, { i: { id: workflow.id, name: 'Changed' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await h.gql(viewer(tenant), UNARCHIVE, { id: workflow.id }))).toEqual(['FORBIDDEN']);
    expect((await h.gql(owner(tenant), READ, { id: workflow.id })).data.workflow.name).toBe('Kept');
  });
});

describe('unarchiveWorkflow', () => {
  it('lists an archived workflow again and lets it take new versions; twice is fine', async () => {
    const me = owner(newTenant());
    const { workflow, version } = await h.createWorkflow(me, { name: 'Back again' });
    await h.gql(me, ARCHIVE, { id: workflow.id });
    expect(names(await h.gql(me, SEARCH, {}))).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const result = await h.gql(me, UNARCHIVE, { id: workflow.id });
      expect(result.errors).toBeUndefined();
      expect(result.data.unarchiveWorkflow).toEqual({ id: workflow.id, status: 'ACTIVE' });
    }
    expect(names(await h.gql(me, SEARCH, {}))).toEqual(['Back again']);
    const saved = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: version.id });
    expect(saved.errors).toBeUndefined();
    expect(saved.data.saveWorkflowVersion.number).toBe(2);
  });
});

describe('workflows(nameContains)', () => {
  it('lists the tenant\'s workflows whose name contains the text in any case, counts them, and pages through them', async () => {
    const me = owner(newTenant());
    for (const name of ['Weekly sales', 'Monthly SALES report', 'Payroll', 'sales tax', 'Returns']) await h.createWorkflow(me, { name });
    // Another tenant's matching workflow is never listed nor counted.
    await h.createWorkflow(owner(newTenant()), { name: 'Their sales' });

    const all = await h.gql(me, SEARCH, { q: 'Sales' });
    expect(all.errors).toBeUndefined();
    expect(names(all)).toEqual(['Weekly sales', 'Monthly SALES report', 'sales tax']);
    expect(all.data.workflows.totalCount).toBe(3);

    const first = await h.gql(me, SEARCH, { q: 'sales', first: 2 });
    expect(names(first)).toEqual(['Weekly sales', 'Monthly SALES report']);
    expect(first.data.workflows.pageInfo.hasNextPage).toBe(true);
    const rest = await h.gql(me, SEARCH, { q: 'sales', first: 2, after: first.data.workflows.pageInfo.endCursor });
    expect(names(rest)).toEqual(['sales tax']);
    expect(rest.data.workflows.pageInfo.hasNextPage).toBe(false);
  });

  it('matches % and _ literally, and leaves archived workflows out unless includeArchived', async () => {
    const me = owner(newTenant());
    for (const name of ['100% checked', '100 checked', 'a_b', 'axb']) await h.createWorkflow(me, { name });
    const archived = await h.createWorkflow(me, { name: 'old 100% run' });
    await h.gql(me, ARCHIVE, { id: archived.workflow.id });
    expect(names(await h.gql(me, SEARCH, { q: '100%' }))).toEqual(['100% checked']);
    expect(names(await h.gql(me, SEARCH, { q: 'a_b' }))).toEqual(['a_b']);
    expect(names(await h.gql(me, SEARCH, { q: '100%', all: true }))).toEqual(['100% checked', 'old 100% run']);
  });

  it('refuses an empty or too long search as BAD_USER_INPUT', async () => {
    const me = owner(newTenant());
    for (const q of ['  ', 'q'.repeat(201)]) {
      const result = await h.gql(me, SEARCH, { q });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.argument).toBe('nameContains');
    }
  });
});
