import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from './support/platform.js';

let p: ExecutionsPlatform;
let acme: Tenant;
let versionId: string;
let fileId: string;

beforeAll(async () => {
  p = await startExecutionsPlatform();
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow());
  fileId = await acme.upload();
});
afterAll(async () => { await p?.stop(); });

const runsWithKey = (key: string) =>
  p.sql<{ id: string }>('select "id" from "executions"."executions" where "tenant_id" = ? and "idempotency_key" = ?', [acme.tenantId, key]);
const requestsFor = (id: string) =>
  p.sql<{ id: string }>(`select "id" from "executions"."outbox" where "key" = ? and "headers"->>'event-type' = 'ExecutionRequested'`, [id]);

describe('starting a run', () => {
  it('answers the same execution for the same idempotencyKey and starts it only once', async () => {
    const key = randomUUID();
    const first = await acme.start({ workflowVersionId: versionId, fileId, idempotencyKey: key });
    expect(first.errors).toBeUndefined();
    const id = first.data!.startExecution.id;
    await acme.ended(id);

    const again = await acme.start({ workflowVersionId: versionId, fileId, idempotencyKey: key });
    expect(again.errors).toBeUndefined();
    expect(again.data!.startExecution).toEqual({ id, status: 'SUCCEEDED' });
    expect(await runsWithKey(key)).toEqual([{ id }]);
    expect(await requestsFor(id)).toHaveLength(1);
  });

  it('answers the run a retried request started, even once its input file was deleted; a new key is refused', async () => {
    const key = randomUUID();
    const doomed = await acme.upload('Doomed.xlsx');
    const id = await acme.run({ workflowVersionId: versionId, fileId: doomed, idempotencyKey: key });
    await acme.ended(id);
    const deleted = await acme.api.request(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: doomed });
    expect(deleted.errors).toBeUndefined();

    const again = await acme.start({ workflowVersionId: versionId, fileId: doomed, idempotencyKey: key });
    expect(again.errors).toBeUndefined();
    expect(again.data!.startExecution.id).toBe(id);
    const fresh = await acme.start({ workflowVersionId: versionId, fileId: doomed, idempotencyKey: randomUUID() });
    expect(codesOf(fresh)).toEqual(['NOT_FOUND']);
    expect(await runsWithKey(key)).toEqual([{ id }]);
  });

  it('answers CONFLICT when an idempotencyKey is reused for another file or another version', async () => {
    const key = randomUUID();
    const id = await acme.run({ workflowVersionId: versionId, fileId, idempotencyKey: key });
    const otherFile = await acme.upload('Other.xlsx');
    const { versionId: otherVersion } = await acme.workflow(undefined, 'Another workflow');

    const withOtherFile = await acme.start({ workflowVersionId: versionId, fileId: otherFile, idempotencyKey: key });
    expect(codesOf(withOtherFile)).toEqual(['CONFLICT']);
    const withOtherVersion = await acme.start({ workflowVersionId: otherVersion, fileId, idempotencyKey: key });
    expect(codesOf(withOtherVersion)).toEqual(['CONFLICT']);
    expect(await runsWithKey(key)).toEqual([{ id }]);
  });

  it('creates exactly one run when many startExecution calls race with one key', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => acme.start({ workflowVersionId: versionId, fileId, idempotencyKey: key })));

    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const ids = new Set(results.map((r) => r.data!.startExecution.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as [string];
    expect(await runsWithKey(key)).toEqual([{ id }]);
    expect(await requestsFor(id)).toHaveLength(1);
    expect((await acme.ended(id)).status).toBe('SUCCEEDED');
  });

  it('lets two tenants use the same idempotencyKey for their own runs', async () => {
    const key = randomUUID();
    const other = await p.tenant('Other Co');
    const theirs = await other.workflow();
    const theirFile = await other.upload();
    const mine = await acme.run({ workflowVersionId: versionId, fileId, idempotencyKey: key });
    const their = await other.run({ workflowVersionId: theirs.versionId, fileId: theirFile, idempotencyKey: key });
    expect(their).not.toBe(mine);
  });

  it('answers the run exactly as written, its PENDING event queued before its request', async () => {
    const res = await acme.api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) {
      id status phase attempt retryOf timeoutSeconds createdAt startedAt finishedAt progress { percent rowsProcessed } } }`,
    { i: { workflowVersionId: versionId, fileId, idempotencyKey: randomUUID(), timeoutSeconds: 120 } });
    expect(res.errors).toBeUndefined();
    const run = res.data!.startExecution;
    expect(run).toMatchObject({ status: 'PENDING', phase: null, attempt: 0, retryOf: null, timeoutSeconds: 120, startedAt: null, finishedAt: null, progress: { percent: null, rowsProcessed: 0 } });
    const [row] = await p.sql<{ created_at: Date; workflow_version_id: string; input_file_id: string; timeout_ms: number; input_size: string }>(
      'select "created_at", "workflow_version_id", "input_file_id", "timeout_ms", "input_size" from "executions"."executions" where "id" = ?', [run.id]);
    expect(row).toMatchObject({ workflow_version_id: versionId, input_file_id: fileId, timeout_ms: 120_000 });
    // The input's size as the files service knows it: the engine tells a csv's progress in percent with it.
    const file = await acme.api.request<{ file: { size: number } }>('query($id: ID!) { file(id: $id) { size } }', { id: fileId });
    expect(Number(row!.input_size)).toBe(file.data!.file.size);
    expect(Number(row!.input_size)).toBeGreaterThan(0);
    expect(new Date(row!.created_at).toISOString()).toBe(new Date(run.createdAt).toISOString());
    const outbox = await p.sql<{ type: string }>(`select "headers"->>'event-type' as "type" from "executions"."outbox" where "key" = ? order by "id" limit 2`, [run.id]);
    expect(outbox.map((r) => r.type)).toEqual(['statusChanged', 'ExecutionRequested']);
  });

  it('refuses a blank idempotencyKey as BAD_USER_INPUT', async () => {
    expect(codesOf(await acme.start({ workflowVersionId: versionId, fileId, idempotencyKey: '   ' }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('starting a run whose steps name sheets', () => {
  const SALES = 'region,amount\nNorth,10\nSouth,20\nNorth,5\n';
  const runsOf = async () => (await p.sql('select "id" from "executions"."executions" where "tenant_id" = ?', [acme.tenantId])).length;

  it('refuses at once, BAD_USER_INPUT saying why, a csv named after another week than the sheet the steps name', async () => {
    // Saved against sales.csv, whose one sheet is "sales"; next week's file is named after its month.
    const { versionId: weekly } = await acme.workflow([
      { type: 'filter', params: { sheet: 'sales', where: { column: 'amount', op: 'gt', value: 5 } } },
      { type: 'output', params: { artifacts: [{ name: 'big.csv', sheets: [{ from: 'sales' }] }] } },
    ], 'Weekly chore');
    const lastWeek = await acme.uploadCsv('sales.csv', SALES);
    expect((await acme.ended(await acme.run({ workflowVersionId: weekly, fileId: lastWeek }))).status).toBe('SUCCEEDED');

    const thisWeek = await acme.uploadCsv('Sales 2026-11.csv', SALES);
    const before = await runsOf();
    const res = await acme.start({ workflowVersionId: weekly, fileId: thisWeek });
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.message).toBe('The input file "Sales 2026-11.csv" has no sheet "sales", which the workflow\'s steps read (its sheets: "Sales 2026-11"): '
      + 'a csv file is a workbook of one sheet named after the file ("Sales 2026-11.csv" gives "Sales 2026-11"), so a sheet name that fits one file misses the next: '
      + 'leave "sheet" out to read the input\'s first sheet, whatever its name');
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'fileId', missingSheets: ['sales'], sheets: ['Sales 2026-11'] });
    expect(await runsOf()).toBe(before);
  });

  it('runs steps that name a sheet the run makes after the file\'s first sheet: validate\'s "<sheet> rejected"', async () => {
    const { versionId } = await acme.workflow([
      { type: 'validate', params: { rules: [{ column: 'amount', check: 'range', min: 6, severity: 'BLOCKING' }], maxErrorRatio: 1 } },
      { type: 'output', params: { artifacts: [{ name: 'rejected.csv', sheets: [{ from: 'sales rejected' }] }] } },
    ], 'Rejected sales');
    const run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: await acme.uploadCsv('sales.csv', SALES) }));
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
  });

  it('runs steps that leave sheet out on any week\'s file, and steps that name the sheets earlier steps made', async () => {
    const { versionId: anyWeek } = await acme.workflow([
      { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 5 }, into: 'Big' } },
      { type: 'aggregate', params: { sheet: 'Big', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
      { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
      { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', sheets: [{ from: 'Big' }, { from: 'Summary' }] }] } },
    ], 'Any week');
    for (const name of ['sales.csv', 'Sales 2026-12.csv']) {
      const run = await acme.ended(await acme.run({ workflowVersionId: anyWeek, fileId: await acme.uploadCsv(name, SALES) }));
      expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    }
  });
});

describe('hints for ids and files that are plausibly mistaken', () => {
  it('says a workflow\'s id given as workflowVersionId is a workflow\'s, with its latest version\'s id, to its own tenant only', async () => {
    const { workflowId, versionId: latest } = await acme.workflow(undefined, 'Given by its id');
    const res = await acme.start({ workflowVersionId: workflowId, fileId });
    expect(codesOf(res)).toEqual(['NOT_FOUND']);
    expect(res.errors![0]!.message).toBe(`Workflow version ${workflowId} was not found: ${workflowId} is a workflow, not one of its versions; start its latest version, the workflow's latestVersion { id }: ${latest}`);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'workflowVersionId', workflowId, latestVersionId: latest });
    // Another tenant learns nothing of it.
    const other = await p.tenant('Other Co');
    const theirs = await other.start({ workflowVersionId: workflowId, fileId: await other.upload() });
    expect(codesOf(theirs)).toEqual(['NOT_FOUND']);
    expect(theirs.errors![0]!.message).toBe(`Workflow version ${workflowId} was not found`);
    // An id that names nothing stays plain.
    const unknown = randomUUID();
    expect((await acme.start({ workflowVersionId: unknown, fileId })).errors![0]!.message).toBe(`Workflow version ${unknown} was not found`);
  });

  it('says a retry\'s input deleted since is the run\'s input file, and what to do', async () => {
    const input = await acme.upload('Deleted later.xlsx');
    const done = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: input }));
    expect((await acme.api.request(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: input })).errors).toBeUndefined();
    const res = await acme.api.request(`mutation($i: RetryExecutionInput!) { retryExecution(input: $i) { id } }`, { i: { executionId: done.id } });
    expect(codesOf(res)).toEqual(['NOT_FOUND']);
    expect(res.errors![0]!.message).toBe(`File ${input} was not found: it is the run's input file, deleted or expired since the run; start a new run with a new upload of the file`);
  });
});

