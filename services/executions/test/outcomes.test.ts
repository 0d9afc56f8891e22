import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from './support/platform.js';

let p: ExecutionsPlatform;
let acme: Tenant;
let fileId: string;

beforeAll(async () => {
  p = await startExecutionsPlatform();
  acme = await p.tenant('Acme');
  fileId = await acme.upload();
});
afterAll(async () => { await p?.stop(); });

const OUTPUT = { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } };

async function runSteps(steps: unknown[]) {
  const { versionId } = await acme.workflow(steps);
  return acme.ended(await acme.run({ workflowVersionId: versionId, fileId }));
}

describe('a run whose step fails', () => {
  it('ends FAILED with MISSING_COLUMN at the filter that names a column the sheet does not have', async () => {
    const run = await runSteps([
      { type: 'filter', params: { sheet: 'Sales', where: { column: 'status', op: 'ne', value: 'void' } } },
      { type: 'filter', params: { sheet: 'Sales', where: { column: 'colour', op: 'eq', value: 'red' } } },
      OUTPUT,
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.phase).toBeNull();
    expect(run.error).toEqual({ code: 'MISSING_COLUMN', message: expect.stringContaining('colour'), step: 1 });
    expect(run.artifacts).toEqual([]);
    expect(run.logs).toContainEqual({ level: 'error', message: run.error.message, step: 1 });
    // The steps of a failed run keep their figures, so the live view shows where it stopped. Streaming
    // steps run as one pipeline: the missing column is found at the header, before any row moved.
    expect(run.steps.slice(0, 2)).toMatchObject([
      { index: 0, type: 'filter', rowsIn: 0 },
      { index: 1, type: 'filter', status: 'FAILED', rowsIn: 0 },
    ]);
  });

  it('is refused at start, BAD_USER_INPUT naming the sheet, when a step reads a sheet the workbook does not have', async () => {
    // The run would fail with SHEET_NOT_FOUND at that step: the files service knows the input's sheets, so it is told now.
    const { versionId } = await acme.workflow([
      { type: 'sort', params: { sheet: 'Sales', by: [{ column: 'amount', direction: 'desc' }] } },
      { type: 'sort', params: { sheet: 'Invoices', by: [{ column: 'amount', direction: 'desc' }] } },
      OUTPUT,
    ]);
    const res = await acme.start({ workflowVersionId: versionId, fileId });
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    // An xlsx names its sheets itself: no word of csv names.
    expect(res.errors![0]!.message).toBe('The input file "Sales.xlsx" has no sheet "Invoices", which the workflow\'s steps read (its sheets: "Sales")');
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'fileId', missingSheets: ['Invoices'], sheets: ['Sales'] });
  });

  it('ends FAILED with DUPLICATE_ARTIFACT on its first attempt when two names made while it runs are one', async () => {
    // {input} is "Sales" only for this file: the workflow was valid, this run cannot write both.
    const run = await runSteps([{ type: 'output', params: { artifacts: [
      { name: '{input}.csv', sheets: [{ from: 'Sales' }] },
      { name: 'Sales.csv', sheets: [{ from: 'Sales' }] },
    ] } }]);
    expect(run).toMatchObject({ status: 'FAILED', attempt: 1, artifacts: [] });
    expect(run.error).toEqual({ code: 'DUPLICATE_ARTIFACT', message: expect.stringContaining('"Sales.csv"'), step: 0 });
  });

  it('ends FAILED with OUTPUT_FAILED on its first attempt when {input} makes an artifact name longer than the files service keeps', async () => {
    // A 250-character upload is a valid file; "{input}-summary.xlsx" of it would have 258 characters, which the
    // files service refuses to register: no attempt could succeed, so none is spent on it.
    const longFileId = await acme.upload(`${'S'.repeat(245)}.xlsx`);
    const { versionId } = await acme.workflow([{ type: 'output', params: { artifacts: [{ name: '{input}-summary.xlsx', sheets: [{ from: 'Sales' }] }] } }]);
    const run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: longFileId }));
    expect(run).toMatchObject({ status: 'FAILED', attempt: 1, artifacts: [] });
    expect(run.error).toEqual({
      code: 'OUTPUT_FAILED', step: 0,
      message: 'artifact "{input}-summary.xlsx" would have a name of 258 characters in this run, more than the 255 a file name may have: shorten the artifact name or the input file\'s name ({input})',
    });
    expect(run.logs.filter((l: { message: string }) => l.message.startsWith('Attempt'))).toEqual([]);
  });

  it('writes two artifacts whose names differ only in characters a storage key cannot hold', async () => {
    const run = await runSteps([{ type: 'output', params: { artifacts: [
      { name: 'a b.csv', sheets: [{ from: 'Sales' }] },
      { name: 'a_b.csv', sheets: [{ from: 'Sales' }] },
      { name: '東京.csv', sheets: [{ from: 'Sales' }] },
      { name: '大阪.csv', sheets: [{ from: 'Sales' }] },
    ] } }]);
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(run.artifacts.map((a: { name: string }) => a.name).sort()).toEqual(['a b.csv', 'a_b.csv', '大阪.csv', '東京.csv'].sort());
    expect(new Set(run.artifacts.map((a: { id: string }) => a.id)).size).toBe(4);
  });

  it('publishes the failure on executions.events through the outbox, and marks every outbox row sent', async () => {
    const run = await runSteps([{ type: 'filter', params: { where: { column: 'colour', op: 'eq', value: 'red' } } }, OUTPUT]);
    const rows = await p.sql<{ type: string; sent: boolean }>(
      `select "headers"->>'event-type' as "type", "sent_at" is not null as "sent" from "executions"."outbox" where "key" = ? order by "id"`, [run.id]);
    expect(rows.map((r) => r.type)).toEqual(['statusChanged', 'ExecutionRequested', 'statusChanged', 'statusChanged', 'failed']);
    await expect.poll(async () => (await p.sql<{ n: number }>(
      `select count(*)::int as "n" from "executions"."outbox" where "key" = ? and "sent_at" is null`, [run.id]))[0]!.n, { timeout: 30_000 }).toBe(0);
  });
});

describe('cancelling', () => {
  it('answers CONFLICT for a run that already SUCCEEDED, and leaves it SUCCEEDED', async () => {
    const run = await runSteps([OUTPUT]);
    expect(run.status).toBe('SUCCEEDED');
    const result = await acme.api.request(`mutation($id: ID!) { cancelExecution(id: $id) { id status } }`, { id: run.id });
    expect(codesOf(result)).toEqual(['CONFLICT']);
    const after = await acme.ended(run.id);
    expect(after).toEqual(run);
  });

  it('answers CONFLICT for a run that already FAILED', async () => {
    const run = await runSteps([{ type: 'filter', params: { where: { column: 'colour', op: 'eq', value: 'red' } } }, OUTPUT]);
    const result = await acme.api.request(`mutation($id: ID!) { cancelExecution(id: $id) { id status } }`, { id: run.id });
    expect(codesOf(result)).toEqual(['CONFLICT']);
    expect((await acme.ended(run.id)).status).toBe('FAILED');
  });

  it('answers NOT_FOUND for a run that does not exist', async () => {
    const result = await acme.api.request(`mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id: '0193a000-0000-7000-8000-0000000000ee' });
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
  });
});
