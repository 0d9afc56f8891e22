import { describe, expect, it } from 'vitest';
import { EngineError, inputSheets, type StepSpec } from '../src/index.js';
import { bytesInput, csv, run } from './helpers.js';

const SALES = 'region,amount\nNorth,10\nSouth,20\nNorth,5\n';
const OUTPUT: StepSpec = { type: 'output', params: { artifacts: [{ name: 'out.xlsx', sheets: [{ from: '*' }] }] } };
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('the run succeeded'); }, (e: unknown) => e as EngineError);

describe('a weekly chore on a csv named after its week', () => {
  it('fails a step that names last week\'s sheet with SHEET_NOT_FOUND saying why and what to do', async () => {
    const steps: StepSpec[] = [{ type: 'filter', params: { sheet: 'sales', where: { column: 'amount', op: 'gt', value: 5 } } }, OUTPUT];
    const err = await failure(run(steps, csv(SALES, 'Sales 2026-11.csv')));
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'SHEET_NOT_FOUND', step: 0 });
    expect(err.message).toBe('no sheet "sales"; sheets: Sales 2026-11: a csv file is a workbook of one sheet named after the file ("Sales 2026-11.csv" gives "Sales 2026-11"), so a sheet name that fits one file misses the next: leave "sheet" out to read the input\'s first sheet, whatever its name');
  });

  it('reads the first sheet whatever its name when the step leaves sheet out', async () => {
    const steps: StepSpec[] = [{ type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 5 } } }, OUTPUT];
    for (const name of ['sales.csv', 'Sales 2026-11.csv']) {
      const ran = await run(steps, csv(SALES, name));
      expect(ran.result.steps[0]).toMatchObject({ status: 'SUCCEEDED', rowsIn: 3, rowsOut: 2 });
    }
  });

  it('says so of a header_row and an output that name the sheet, the output with what it can name instead', async () => {
    const header = await failure(run([{ type: 'header_row', params: { sheet: 'sales', row: 1 } }], csv(SALES, 'Sales 2026-11.csv')));
    expect(header).toMatchObject({ code: 'SHEET_NOT_FOUND', step: 0, message: expect.stringContaining('leave "sheet" out to read the input\'s first sheet') });
    const output = await failure(run([{ type: 'output', params: { artifacts: [{ name: 'out.csv', sheets: [{ from: 'sales' }] }] } }], csv(SALES, 'Sales 2026-11.csv')));
    expect(output).toMatchObject({ code: 'SHEET_NOT_FOUND', step: 0 });
    expect(output.message).toContain('"Sales 2026-11.csv" gives "Sales 2026-11"');
    expect(output.message).toContain('write "into" a sheet of a fixed name, and name that one here');
  });

  it('adds no csv hint for an xlsx input, whose sheets are named inside it', async () => {
    const made = await run([{ type: 'output', params: { artifacts: [{ name: 'x.xlsx', sheets: [{ from: 'Sales' }] }] } }], csv(SALES));
    const xlsx = made.files.get('x.xlsx')!;
    const err = await failure(run([{ type: 'sort', params: { sheet: 'sales', by: [{ column: 'amount' }] } }], bytesInput('Sales 2026-11.xlsx', xlsx)));
    expect(err).toMatchObject({ code: 'SHEET_NOT_FOUND', message: 'no sheet "sales"; sheets: Sales' });
  });
});

describe('inputSheets', () => {
  it('names the sheets the steps read from the input, once each, and not those earlier steps made', () => {
    expect(inputSheets([
      { type: 'filter', params: { sheet: 'Sales', where: { column: 'amount', op: 'gt', value: 5 } } },
      { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
      { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
      { type: 'lookup', params: { sheet: 'Summary', from: { sheet: 'Regions' }, on: [{ left: 'region', right: 'region' }], columns: [{ column: 'manager' }] } },
      { type: 'output', params: { artifacts: [{ name: 'r.xlsx', sheets: [{ from: 'Sales' }, { from: 'Summary' }, { from: 'Notes' }, { from: 'Q*' }] }] } },
    ])).toEqual(['Sales', 'Regions', 'Notes']);
  });

  it('names none for steps that leave sheet out, whatever the first sheet is called, nor a lookup file\'s sheets', () => {
    expect(inputSheets([
      { type: 'header_row', params: { row: 2 } },
      { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 5 }, into: 'Big' } },
      { type: 'lookup', params: { from: { file: 'prices', sheet: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } },
      { type: 'output', params: { artifacts: [{ name: 'big.csv', sheets: [{ from: 'Big' }] }] } },
    ])).toEqual([]);
  });

  it('names a header_row\'s sheet and a move_rows source, but not where move_rows puts rows nor what a split may make', () => {
    expect(inputSheets([
      { type: 'header_row', params: { sheet: 'Raw', row: 3 } },
      { type: 'move_rows', params: { sheet: 'Raw', to: 'Rejected', where: { column: 'amount', op: 'lt', value: 0 } } },
      { type: 'split', params: { sheet: 'Raw', by: 'region' } },
      { type: 'output', params: { artifacts: [{ name: 'r.xlsx', sheets: [{ from: 'Rejected' }, { from: 'North' }] }] } },
    ])).toEqual(['Raw']);
  });

  it('names none for steps the engine refuses', () => {
    expect(inputSheets([{ type: 'filter', params: { sheet: 'Sales' } }])).toEqual([]);
    expect(inputSheets('not steps')).toEqual([]);
  });
});

describe('inputSheets of a given file\'s sheets', () => {
  // The quarantine sheet's default name is "<sheet> rejected", after the real name of the sheet validated.
  const quarantined: StepSpec[] = [
    { type: 'validate', params: { rules: [{ column: 'amount', check: 'range', min: 6, severity: 'BLOCKING' }], maxErrorRatio: 1 } },
    { type: 'output', params: { artifacts: [{ name: 'rejected.csv', sheets: [{ from: 'sales rejected' }] }] } },
  ];

  it('names no sheet that a run of the steps on that file makes, though its name derives from the first sheet\'s', async () => {
    const ran = await run(quarantined, csv(SALES, 'sales.csv'));
    expect(ran.text('rejected.csv')).toContain('North,5');
    expect(inputSheets(quarantined, ['sales'])).toEqual([]);
  });

  it('names the sheets read by name that the file lacks, as the run fails with SHEET_NOT_FOUND', async () => {
    const err = await failure(run(quarantined, csv(SALES, 'Sales 2026-11.csv')));
    expect(err).toMatchObject({ code: 'SHEET_NOT_FOUND' });
    expect(inputSheets(quarantined, ['Sales 2026-11'])).toEqual(['sales rejected']);
  });

  it('names none that a move_rows appends to when the file has it', () => {
    expect(inputSheets([
      { type: 'move_rows', params: { to: 'Archive', where: { column: 'amount', op: 'lt', value: 0 } } },
      { type: 'output', params: { artifacts: [{ name: 'a.xlsx', sheets: [{ from: 'Archive' }, { from: 'Notes' }] }] } },
    ], ['Data', 'Archive'])).toEqual(['Notes']);
  });
});
