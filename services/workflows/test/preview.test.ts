import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPreviewPlatform, type PreviewPlatform, type PreviewTenant } from './support/platform.js';

let p: PreviewPlatform;
let acme: PreviewTenant;
let salesId: string;

const SALES_CSV = [
  'id,region,amount,status',
  '1,North,50,ok',
  '2,South,150,ok',
  '3,North,250,void',
  '4,East,300,ok',
  '5,South,120,ok',
].join('\n') + '\n';

const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'amount', op: 'gt', value: 100 } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.csv', format: 'csv', sheets: [{ from: 'Summary' }] }] } },
];

const PREVIEW = `query($i: PreviewWorkflowInput!) { previewWorkflow(input: $i) {
  steps { index type rowsIn rowsOut sheets { name columns rows } } } }`;

/** An "Offset" sheet as people leave them: a blank cell, a formula never calculated, and a blank row inside the data. */
async function offsetWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Offset');
  sheet.addRow(['id', 'amount', 'note']);
  sheet.addRow([1, 10, 'first']);
  sheet.addRow([2, null, 'no amount']);
  sheet.getRow(4).values = [3, { formula: 'B2*3' }, null];
  sheet.getRow(6).values = [4, 40, 'after a blank row'];
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const codesOf = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => (result.errors ?? []).map((e) => e.extensions?.code);

beforeAll(async () => {
  p = await startPreviewPlatform();
  acme = await p.tenant('Acme');
  salesId = await acme.upload('Sales.csv', SALES_CSV);
}, 60_000);
afterAll(async () => { await p?.stop(); });

describe('previewing a workflow on an uploaded file', () => {
  it('runs draft steps on the file and answers each step\'s counts and the first rows of the sheets it wrote', async () => {
    const result = await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId } });
    expect(result.errors).toBeUndefined();
    const steps = result.data!.previewWorkflow.steps;
    expect(steps.map((s: any) => [s.index, s.type, s.rowsIn, s.rowsOut])).toEqual([
      [0, 'filter', 5, 4], [1, 'aggregate', 4, 3], [2, 'output', expect.any(Number), expect.any(Number)],
    ]);
    const filtered = steps[0].sheets.find((s: any) => s.name === 'Sales');
    expect(filtered.columns).toEqual(['id', 'region', 'amount', 'status']);
    expect(filtered.rows.map((r: any[]) => r[0])).toEqual([2, 3, 4, 5]);
    const summary = steps[1].sheets.find((s: any) => s.name === 'Summary');
    expect(summary.columns).toEqual(['region', 'amount']);
    expect(Object.fromEntries(summary.rows)).toEqual({ South: 270, North: 250, East: 300 });
  });

  it('reads only the first limit rows and shows at most limit rows per sheet', async () => {
    const result = await acme.api.request(PREVIEW, { i: { steps: STEPS.slice(0, 1), fileId: salesId, limit: 2 } });
    expect(result.errors).toBeUndefined();
    const [filter] = result.data!.previewWorkflow.steps;
    expect(filter.rowsIn).toBe(2);
    expect(filter.sheets[0].rows.length).toBeLessThanOrEqual(2);
  });

  it('previews a saved version by versionId', async () => {
    const { versionId } = await acme.workflow(STEPS);
    const byVersion = await acme.api.request(PREVIEW, { i: { versionId, fileId: salesId } });
    const bySteps = await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId } });
    expect(byVersion.errors).toBeUndefined();
    expect(byVersion.data).toEqual(bySteps.data);
  });

  it('refuses both or neither of steps and versionId as BAD_USER_INPUT', async () => {
    const { versionId } = await acme.workflow(STEPS);
    expect(codesOf(await acme.api.request(PREVIEW, { i: { steps: STEPS, versionId, fileId: salesId } }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await acme.api.request(PREVIEW, { i: { fileId: salesId } }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a limit outside 1..200 as BAD_USER_INPUT and accepts 1 and 200', async () => {
    for (const limit of [0, -1, 201]) {
      const result = await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId, limit } });
      expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    }
    for (const limit of [1, 200]) {
      expect((await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId, limit } })).errors).toBeUndefined();
    }
  });

  it('refuses a file that is not READY as BAD_USER_INPUT with its status', async () => {
    const pending = await acme.upload('Pending.csv');
    const result = await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: pending } });
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect((result.errors![0]!.extensions as { fileStatus?: string }).fileStatus).toBe('UPLOADING');
  });

  it('maps an engine failure to BAD_USER_INPUT with the engine\'s code and the failing step', async () => {
    const steps = [STEPS[0], { type: 'sort', params: { sheet: 'Sales', by: [{ column: 'no_such_column', direction: 'asc' }] } }];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId: salesId } });
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions).toMatchObject({ engineCode: 'MISSING_COLUMN', step: 1 });
  });

  it('refuses invalid draft steps as BAD_USER_INPUT with engineCode INVALID_STEPS and the issues', async () => {
    const result = await acme.api.request(PREVIEW, { i: { steps: [{ type: 'no_such_step', params: {} }], fileId: salesId } });
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions).toMatchObject({ engineCode: 'INVALID_STEPS', issues: [expect.objectContaining({ path: 'steps[0].type' })] });
  });

  it('answers NOT_FOUND for another tenant\'s file and for another tenant\'s version', async () => {
    const other = await p.tenant('Other');
    const { versionId } = await acme.workflow(STEPS);
    const ownFile = await other.upload('Mine.csv', SALES_CSV);
    expect(codesOf(await other.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId } }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await other.api.request(PREVIEW, { i: { versionId, fileId: ownFile } }))).toEqual(['NOT_FOUND']);
  });

  it('answers NOT_FOUND for a file id that is not a uuid or does not exist', async () => {
    for (const fileId of ['nope', '00000000-0000-4000-8000-000000000000']) {
      expect(codesOf(await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId } }))).toEqual(['NOT_FOUND']);
    }
  });

  it('answers empty cells, blank ones and formulas without a cached value, as null', async () => {
    const fileId = await acme.upload('Offset.xlsx', await offsetWorkbook());
    const steps = [{ type: 'compute_column', params: { sheet: 'Offset', column: 'x', expression: 'amount * 2' } }];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId, limit: 5 } });
    expect(result.errors).toBeUndefined();
    const [offset] = result.data!.previewWorkflow.steps[0].sheets;
    expect(offset.columns).toEqual(['id', 'amount', 'note', 'x']);
    expect(offset.rows).toEqual([[1, 10, 'first', 20], [2, null, 'no amount', null], [3, null, null, null], [4, 40, 'after a blank row', 80]]);
  });

  it('previews a draft that takes the header from further down: inspection names the title\'s columns, the preview the real ones', async () => {
    const statement = 'Account statement\nAccount;DE12 3456\nPeriod;2024-01\n\nBooking date;Text;Amount\n2024-01-02;Coffee;-3.5\n2024-01-03;Salary;2500\n';
    const fileId = await acme.upload('Statement.csv', statement);
    const file = await acme.api.request(`query($id: ID!) { file(id: $id) { sheets { name rowCount columns { name } } } }`, { id: fileId });
    expect(file.data!.file.sheets).toEqual([{ name: 'Statement', rowCount: 5, columns: [{ name: 'Account statement' }] }]);
    const steps = [
      { type: 'header_row', params: { find: { values: ['booking date'], caseInsensitive: true } } },
      { type: 'filter', params: { where: { column: 'Amount', op: 'lt', value: 0 } } },
    ];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId } });
    expect(result.errors).toBeUndefined();
    expect(result.data!.previewWorkflow.steps).toEqual([
      { index: 0, type: 'header_row', rowsIn: 5, rowsOut: 2, sheets: [{ name: 'Statement', columns: ['Booking date', 'Text', 'Amount'], rows: [['2024-01-02T00:00:00.000Z', 'Coffee', -3.5], ['2024-01-03T00:00:00.000Z', 'Salary', 2500]] }] },
      { index: 1, type: 'filter', rowsIn: 2, rowsOut: 1, sheets: [{ name: 'Statement', columns: ['Booking date', 'Text', 'Amount'], rows: [['2024-01-02T00:00:00.000Z', 'Coffee', -3.5]] }] },
    ]);
    const missing = await acme.api.request(PREVIEW, { i: { steps: [{ type: 'header_row', params: { row: 12 } }], fileId } });
    expect(codesOf(missing)).toEqual(['BAD_USER_INPUT']);
    expect(missing.errors![0]).toMatchObject({ message: expect.stringContaining('sheet "Statement" has no header at row 12'), extensions: { engineCode: 'HEADER_NOT_FOUND', step: 0 } });
  });

  it('reads as many rows of a sheet with a blank row as inspection counted: a blank row is not data', async () => {
    const fileId = await acme.upload('Offset.xlsx', await offsetWorkbook());
    const file = await acme.api.request(`query($id: ID!) { file(id: $id) { sheets { name rowCount } } }`, { id: fileId });
    expect(file.data!.file.sheets).toEqual([{ name: 'Offset', rowCount: 4 }]);
    const steps = [{ type: 'filter', params: { sheet: 'Offset', where: { column: 'id', op: 'gt', value: 0 } } }];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId, limit: 200 } });
    expect(result.errors).toBeUndefined();
    expect(result.data!.previewWorkflow.steps[0]).toMatchObject({ rowsIn: 4, rowsOut: 4 });
  });
});

describe('previewing a draft that looks up another file (files)', () => {
  const PRICES_CSV = 'region,manager\nNorth,Ana\nSouth,Bo\nWest,Cy\n';
  const LOOKUP = [
    { type: 'lookup', params: { sheet: 'Sales', from: { file: 'managers', sheet: 'Managers' }, on: [{ left: 'region', right: 'region' }], columns: [{ column: 'manager' }] } },
  ];
  let managers: string;
  beforeAll(async () => { managers = await acme.upload('Managers.csv', PRICES_CSV); });

  it('joins the input to the file given under the key the step reads', async () => {
    const result = await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, files: [{ key: 'managers', fileId: managers }] } });
    expect(result.errors).toBeUndefined();
    const sales = result.data!.previewWorkflow.steps[0].sheets.find((s: any) => s.name === 'Sales');
    expect(sales.columns).toEqual(['id', 'region', 'amount', 'status', 'manager']);
    expect(sales.rows.map((r: any[]) => [r[0], r[4]])).toEqual([[1, 'Ana'], [2, 'Bo'], [3, 'Ana'], [4, null], [5, 'Bo']]);
  });

  it('reads the whole lookup file whatever the limit, which bounds the input\'s rows: a match further down is shown', async () => {
    const filler = Array.from({ length: 50 }, (_, i) => `Region ${i},Nobody`).join('\n');
    const far = await acme.upload('Managers-far.csv', `region,manager\n${filler}\nNorth,Ana\nSouth,Bo\n`);
    const steps = [{ ...LOOKUP[0]!, params: { ...LOOKUP[0]!.params, from: { file: 'managers', sheet: 'Managers-far' } } }];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId: salesId, limit: 2, files: [{ key: 'managers', fileId: far }] } });
    expect(result.errors).toBeUndefined();
    const sales = result.data!.previewWorkflow.steps[0].sheets.find((s: any) => s.name === 'Sales');
    expect(sales.rows.map((r: any[]) => [r[0], r[4]])).toEqual([[1, 'Ana'], [2, 'Bo']]);
  });

  it('refuses a draft whose steps read a file not given, naming its key, and accepts a file no step reads', async () => {
    const missing = await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId } });
    expect(codesOf(missing)).toEqual(['BAD_USER_INPUT']);
    expect(missing.errors![0]!.extensions).toMatchObject({ field: 'files', missingKeys: ['managers'] });
    const unused = await acme.api.request(PREVIEW, { i: { steps: STEPS, fileId: salesId, files: [{ key: 'managers', fileId: managers }] } });
    expect(unused.errors).toBeUndefined();
  });

  it('counts a key\'s characters as the engine\'s schema does (code points): 150 emoji are a key of 150, accepted', async () => {
    const key = '\u{1F600}'.repeat(150);
    const steps = [{ ...LOOKUP[0]!, params: { ...LOOKUP[0]!.params, from: { file: key, sheet: 'Managers' } } }];
    const result = await acme.api.request(PREVIEW, { i: { steps, fileId: salesId, files: [{ key, fileId: managers }] } });
    expect(result.errors).toBeUndefined();
    const tooLong = [{ key: '\u{1F600}'.repeat(201), fileId: managers }];
    expect(codesOf(await acme.api.request(PREVIEW, { i: { steps, fileId: salesId, files: tooLong } }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a key given twice, more than 10 files and a file that is not READY', async () => {
    const twice = [{ key: 'managers', fileId: managers }, { key: 'managers', fileId: salesId }];
    expect(codesOf(await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, files: twice } }))).toEqual(['BAD_USER_INPUT']);
    const many = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, fileId: managers }));
    expect(codesOf(await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, files: many } }))).toEqual(['BAD_USER_INPUT']);
    const uploading = await acme.upload('Later.csv');
    const notReady = await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, files: [{ key: 'managers', fileId: uploading }] } });
    expect(codesOf(notReady)).toEqual(['BAD_USER_INPUT']);
    expect(notReady.errors![0]!.extensions).toMatchObject({ field: 'files', fileStatus: 'UPLOADING' });
  });

  it('answers NOT_FOUND for another tenant\'s file in files, or one that does not exist', async () => {
    const other = await p.tenant('Other again');
    const theirs = await other.upload('Managers.csv', PRICES_CSV);
    for (const fileId of [theirs, '00000000-0000-7000-8000-000000000000', 'nope']) {
      const res = await acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, files: [{ key: 'managers', fileId }] } });
      expect(codesOf(res)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(res.data ?? null)).not.toContain('Ana');
    }
  });
});
