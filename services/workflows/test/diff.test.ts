import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedPaths, diffSteps } from '../src/domain/diff.js';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const DIFF = `query($from: ID!, $to: ID!) { diffWorkflowVersions(fromId: $from, toId: $to) {
  from { id number } to { id number } changes { kind index fromIndex toIndex type before after paths } } }`;

const filter = (where: object) => ({ type: 'filter', params: { sheet: 'Sales', where } });
const sort = { type: 'sort', params: { sheet: 'Sales', by: [{ column: 'amount', direction: 'desc' }] } };
const output = { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } };

/** A workflow whose version 1 has `from` and version 2 has `to`. */
async function twoVersions(caller: ReturnType<typeof owner>, from: unknown[], to: unknown[]) {
  const { workflow, version } = await h.createWorkflow(caller, { steps: from });
  const saved = await h.saveVersion(caller, { workflowId: workflow.id, baseVersionId: version.id, steps: to });
  if (saved.errors) throw new Error(JSON.stringify(saved.errors));
  return { workflowId: workflow.id, fromId: version.id, toId: saved.data.saveWorkflowVersion.id as string };
}

describe('diffing two versions', () => {
  it('reports a step whose params changed as CHANGED, with the params paths that differ', async () => {
    const me = owner(newTenant());
    const before = filter({ all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] });
    const after = filter({ all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 250 }] });
    const { fromId, toId } = await twoVersions(me, [before, output], [after, output]);

    const result = await h.gql(me, DIFF, { from: fromId, to: toId });
    expect(result.errors).toBeUndefined();
    expect(result.data.diffWorkflowVersions).toEqual({
      from: { id: fromId, number: 1 },
      to: { id: toId, number: 2 },
      changes: [{ kind: 'CHANGED', index: 0, fromIndex: 0, toIndex: 0, type: 'filter', before: before.params, after: after.params, paths: ['where.all[1].value'] }],
    });
  });

  it('reports steps past the end of the older version as ADDED', async () => {
    const me = owner(newTenant());
    const where = { column: 'amount', op: 'gt', value: 1 };
    const { fromId, toId } = await twoVersions(me, [filter(where), output], [filter(where), output, sort]);
    const { changes } = (await h.gql(me, DIFF, { from: fromId, to: toId })).data.diffWorkflowVersions;
    expect(changes).toEqual([{ kind: 'ADDED', index: 2, fromIndex: null, toIndex: 2, type: 'sort', before: null, after: sort.params, paths: [] }]);
  });

  it('reports steps missing from the newer version as REMOVED, and the reverse diff as ADDED', async () => {
    const me = owner(newTenant());
    const where = { column: 'amount', op: 'gt', value: 1 };
    const { fromId, toId } = await twoVersions(me, [filter(where), output, sort], [filter(where), output]);
    const forward = (await h.gql(me, DIFF, { from: fromId, to: toId })).data.diffWorkflowVersions.changes;
    expect(forward).toEqual([{ kind: 'REMOVED', index: 2, fromIndex: 2, toIndex: null, type: 'sort', before: sort.params, after: null, paths: [] }]);
    const backward = (await h.gql(me, DIFF, { from: toId, to: fromId })).data.diffWorkflowVersions.changes;
    expect(backward).toEqual([{ kind: 'ADDED', index: 2, fromIndex: null, toIndex: 2, type: 'sort', before: null, after: sort.params, paths: [] }]);
  });

  it('reports a different step type at the same index as the old step REMOVED and the new one ADDED', async () => {
    const me = owner(newTenant());
    const where = { column: 'amount', op: 'gt', value: 1 };
    const { fromId, toId } = await twoVersions(me, [filter(where), output], [sort, output]);
    const { changes } = (await h.gql(me, DIFF, { from: fromId, to: toId })).data.diffWorkflowVersions;
    expect(changes.map((c: any) => [c.kind, c.index, c.type])).toEqual([['REMOVED', 0, 'filter'], ['ADDED', 0, 'sort']]);
  });

  it('answers no changes for two versions with equal steps, and for a version against itself', async () => {
    const me = owner(newTenant());
    const { fromId, toId } = await twoVersions(me, stepsOver(100), stepsOver(100));
    expect((await h.gql(me, DIFF, { from: fromId, to: toId })).data.diffWorkflowVersions.changes).toEqual([]);
    expect((await h.gql(me, DIFF, { from: fromId, to: fromId })).data.diffWorkflowVersions.changes).toEqual([]);
  });

  it('refuses versions of two different workflows as BAD_USER_INPUT', async () => {
    const me = owner(newTenant());
    const a = await h.createWorkflow(me, { name: 'A' });
    const b = await h.createWorkflow(me, { name: 'B' });
    expect(errorCodes(await h.gql(me, DIFF, { from: a.version.id, to: b.version.id }))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers NOT_FOUND when either version belongs to another tenant', async () => {
    const alice = owner(newTenant());
    const { fromId, toId } = await twoVersions(alice, stepsOver(100), stepsOver(200));
    const mallory = owner(newTenant());
    const own = await h.createWorkflow(mallory);
    expect(errorCodes(await h.gql(mallory, DIFF, { from: fromId, to: toId }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(mallory, DIFF, { from: own.version.id, to: toId }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(mallory, DIFF, { from: fromId, to: own.version.id }))).toEqual(['NOT_FOUND']);
  });

  it('lets a VIEWER diff versions', async () => {
    const tenant = newTenant();
    const { fromId, toId } = await twoVersions(owner(tenant), stepsOver(100), stepsOver(200));
    const result = await h.gql(viewer(tenant), DIFF, { from: fromId, to: toId });
    expect(result.data.diffWorkflowVersions.changes.map((c: any) => c.paths)).toEqual([['where.value']]);
  });
});

describe('the step differ', () => {
  it('lists added, removed and changed keys in sorted order, and array items by index', () => {
    expect(changedPaths(
      { b: 1, a: { x: [1, 2, 3] }, gone: true },
      { a: { x: [1, 5] }, b: 1, c: null },
    )).toEqual(['a.x[1]', 'a.x[2]', 'c', 'gone']);
  });

  it('treats a value that changes shape as one changed path', () => {
    expect(changedPaths({ where: { column: 'a' } }, { where: [{ column: 'a' }] })).toEqual(['where']);
    expect(changedPaths({ v: 1 }, { v: '1' })).toEqual(['v']);
  });

  it('is deterministic: the same lists always give the same changes', () => {
    const from = [sort, output];
    const to = [filter({ column: 'a', op: 'eq', value: 1 }), output, sort];
    expect(diffSteps(from, to)).toEqual(diffSteps(structuredClone(from), structuredClone(to)));
    expect(diffSteps(from, to).map((c) => `${c.kind}@${c.index}`)).toEqual(['REMOVED@0', 'ADDED@0', 'ADDED@2']);
  });
});
