import { ruleTypes } from '@rowline/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, newTenant, owner, startWorkflows, stepsOver, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startWorkflows(); });
afterAll(async () => { await h?.stop(); });

const CREATE = `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`;
const LIST = `{ workflows(first: 100) { edges { node { id } } } }`;

/** Steps with three problems at three different places. */
const BROKEN = [
  { type: 'filter', params: { sheet: 'Sales' } },
  { type: 'no_such_step', params: {} },
  { type: 'sort', params: { by: [{ column: 'amount', direction: 'sideways' }] } },
];

const pathsOf = (result: { errors?: Array<{ extensions: Record<string, any> }> }): string[] =>
  (result.errors?.[0]?.extensions.issues ?? []).map((i: { path: string }) => i.path);

describe('step validation', () => {
  it('refuses a new workflow with invalid steps as BAD_USER_INPUT, with an issue at each bad step', async () => {
    const me = owner(newTenant());
    const result = await h.gql(me, CREATE, { i: { name: 'Broken', steps: BROKEN } });

    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(pathsOf(result)).toEqual(expect.arrayContaining([
      'steps[0].params.where', 'steps[1].type', 'steps[2].params.by[0].direction',
    ]));
    for (const issue of result.errors![0]!.extensions.issues) expect(issue).toEqual({ path: expect.any(String), code: expect.any(String), message: expect.any(String) });
    expect((await h.gql(me, LIST)).data.workflows.edges).toEqual([]);
  });

  it('answers the same issues as the engine\'s own validator', async () => {
    const { validateSteps } = await import('@rowline/engine');
    const result = await h.gql(owner(newTenant()), CREATE, { i: { name: 'Broken', steps: BROKEN } });
    expect(result.errors![0]!.extensions.issues).toEqual(validateSteps(BROKEN));
  });

  it('refuses a new version with invalid steps and keeps the head where it was', async () => {
    const me = owner(newTenant());
    const { workflow, version } = await h.createWorkflow(me);
    const result = await h.saveVersion(me, { workflowId: workflow.id, baseVersionId: version.id, steps: BROKEN });

    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(pathsOf(result).length).toBeGreaterThanOrEqual(3);
    const head = await h.gql(me, `query($id: ID!) { workflow(id: $id) { latestVersion { id number } } }`, { id: workflow.id });
    expect(head.data.workflow.latestVersion).toEqual({ id: version.id, number: 1 });
  });

  it('answers validateWorkflow with the issues, and with none for valid steps', async () => {
    const me = owner(newTenant());
    const bad = await h.gql(me, `query($s: [StepInput!]!) { validateWorkflow(steps: $s) { path code message } }`, { s: BROKEN });
    expect(bad.data.validateWorkflow.length).toBeGreaterThanOrEqual(3);
    const good = await h.gql(me, `query($s: [StepInput!]!) { validateWorkflow(steps: $s) { path } }`, { s: stepsOver(1) });
    expect(good).toEqual({ data: { validateWorkflow: [] } });
  });

  it('refuses artifacts that would overwrite each other or lie about their format, before any run', async () => {
    const me = owner(newTenant());
    const steps = [
      { type: 'output', params: { artifacts: [{ name: 'x.xlsx', sheets: [{ from: 'Sales' }] }, { name: 'y.xlsx', sheets: [{ from: 'Sales' }] }] } },
      { type: 'output', params: { artifacts: [{ name: 'x.xlsx', sheets: [{ from: 'S' }] }, { name: 'a.csv', format: 'xlsx', sheets: [{ from: 'S' }] }] } },
    ];
    const result = await h.gql(me, CREATE, { i: { name: 'Clashing', steps } });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions.issues).toEqual([
      { path: 'steps[1].params.artifacts[0].name', code: 'DUPLICATE_ARTIFACT', message: expect.stringContaining('steps[0].params.artifacts[0]') },
      { path: 'steps[1].params.artifacts[1].format', code: 'INVALID_VALUE', message: expect.stringContaining('.csv name') },
    ]);
    expect((await h.gql(me, LIST)).data.workflows.edges).toEqual([]);
  });

  it('refuses an artifact name longer than a file name may be, as written or once {date} is filled in, before any run', async () => {
    const me = owner(newTenant());
    const named = (name: string) => [{ type: 'output', params: { artifacts: [{ name, sheets: [{ from: 'Sales' }] }] } }];
    const written = await h.gql(me, CREATE, { i: { name: 'Long name', steps: named(`${'n'.repeat(260)}.csv`) } });
    expect(errorCodes(written)).toEqual(['BAD_USER_INPUT']);
    expect(written.errors![0]!.extensions.issues).toEqual([{ path: 'steps[0].params.artifacts[0].name', code: 'INVALID_VALUE', message: 'must NOT have more than 200 characters' }]);
    const dated = await h.gql(me, CREATE, { i: { name: 'Dated name', steps: named(`${'{date}-'.repeat(24)}.csv`) } });
    expect(errorCodes(dated)).toEqual(['BAD_USER_INPUT']);
    expect(dated.errors![0]!.extensions.issues).toEqual([{
      path: 'steps[0].params.artifacts[0].name', code: 'INVALID_VALUE',
      message: 'artifact name has 268 characters once {date} is filled in (with {input} left empty), more than the 255 a file name may have',
    }]);
    expect((await h.gql(me, LIST)).data.workflows.edges).toEqual([]);
  });

  it('saves a header_row step and refuses one that gives both a row and a cell to find, or says it twice for a sheet', async () => {
    const me = owner(newTenant());
    const good = [{ type: 'header_row', params: { sheet: 'Statement', find: { values: ['Booking date'], caseInsensitive: true } } }, ...stepsOver(1)];
    expect(errorCodes(await h.gql(me, CREATE, { i: { name: 'Statement', steps: good } }))).toEqual([]);
    const bad = [
      { type: 'header_row', params: { row: 5, find: { values: ['Booking date'] } } },
      { type: 'header_row', params: { row: 0 } },
      { type: 'header_row', params: { row: 5 } },
      { type: 'header_row', params: { find: { values: ['Date'] } } },
    ];
    const result = await h.gql(me, CREATE, { i: { name: 'Bad header', steps: bad } });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions.issues).toEqual([
      { path: 'steps[0].params.find', code: 'INVALID_VALUE', message: 'give row or find, not both' },
      { path: 'steps[1].params.row', code: 'INVALID_VALUE', message: expect.any(String) },
      { path: 'steps[3].params.find', code: 'INVALID_VALUE', message: "step 2 already says where this sheet's header is" },
    ]);
  });

  it('refuses a blank or overlong name as BAD_USER_INPUT on the name field', async () => {
    const me = owner(newTenant());
    for (const name of ['   ', 'x'.repeat(201)]) {
      const result = await h.gql(me, CREATE, { i: { name, steps: stepsOver(1) } });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions.field).toBe('name');
    }
  });
});

describe('the rule catalog', () => {
  it('lists every step type the engine knows, each with a JSON Schema of its params', async () => {
    const result = await h.gql(owner(newTenant()), `{ ruleTypes { type title description paramsSchema } }`);
    expect(result.errors).toBeUndefined();
    const served = result.data.ruleTypes as Array<{ type: string; title: string; paramsSchema: { type?: string } }>;
    expect(served.map((r) => r.type).sort()).toEqual(ruleTypes().map((r) => r.type).sort());
    expect(served.map((r) => r.type)).toEqual(expect.arrayContaining([
      'filter', 'move_rows', 'aggregate', 'sort', 'select_columns', 'rename_columns', 'reorder_columns',
      'compute_column', 'dedupe', 'lookup', 'split', 'clean', 'validate', 'output',
    ]));
    for (const rule of served) {
      expect(rule.title).not.toBe('');
      expect(rule.paramsSchema).toMatchObject({ type: 'object' });
    }
  });
});
