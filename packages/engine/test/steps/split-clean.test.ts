import { describe, expect, it } from 'vitest';
import { csv, run, SALES, sheetAfter } from '../helpers.js';

describe('split', () => {
  it('makes one sheet per value, kept by the default output after the source', async () => {
    const r = await run([{ type: 'split', params: { by: 'region', prefix: 'R-' } }], csv(SALES));
    const all = await r.sheets();
    expect(Object.keys(all)).toEqual(['Sales', 'R-North', 'R-South', 'R-East', 'R-south (2)']);
    expect(all['R-North']!.rows.map((x) => x[0])).toEqual([1, 3]);
    expect(r.result.artifacts[0]!.sheets).toHaveLength(5);
    // Sheets filled at the same time are spooled and added after: another reader must still see them all.
    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.files.get('Sales-result.xlsx')! as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => [w.name, w.rowCount])).toEqual([['Sales', 6], ['R-North', 3], ['R-South', 2], ['R-East', 2], ['R-south (2)', 2]]);
  });

  it('names sheets safely: empty values, reserved characters, 31 characters at most', async () => {
    const r = await run([{ type: 'split', params: { by: 'k' } }], csv(`k,v\n,1\na/b?,2\n${'x'.repeat(40)},3\n`));
    expect(Object.keys(await r.sheets())).toEqual(['Sales', '(empty)', 'a_b_', 'x'.repeat(31)]);
  });

  it('lets an output pick split sheets by pattern, one csv per sheet', async () => {
    const r = await run(
      [{ type: 'split', params: { by: 'region', prefix: 'R-' } }, { type: 'output', params: { artifacts: [{ name: '{sheet}.csv', sheets: [{ from: 'R-*' }] }] } }],
      csv(SALES),
    );
    expect([...r.files.keys()].sort()).toEqual(['R-East.csv', 'R-North.csv', 'R-South.csv', 'R-south (2).csv']);
    expect(r.text('R-North.csv')).toBe('id,region,amount,date,status\r\n1,North,120.5,2024-01-05,open\r\n3,North,200,2024-03-15,closed\r\n');
  });

  it('fails past maxSheets', async () => {
    await expect(run([{ type: 'split', params: { by: 'id', maxSheets: 2 } }], csv(SALES))).rejects.toMatchObject({ code: 'TOO_LARGE', step: 0 });
  });

  it('refuses later steps reading a split sheet, with a hint', async () => {
    await expect(run([{ type: 'split', params: { by: 'region' } }, { type: 'sort', params: { sheet: 'North', by: [{ column: 'id' }] } }], csv(SALES))).rejects.toMatchObject({ code: 'SHEET_NOT_FOUND' });
  });
});

describe('clean', () => {
  const DIRTY = 'name,amount,when\n"  ana   maria ",1 200,2024-01-05\nBOB,abc,\n"o\'neil",  7 ,45300\n';

  it('trims, collapses spaces and title-cases text', async () => {
    const s = await sheetAfter([{ type: 'clean', params: { columns: ['name'], trim: true, collapseSpaces: true, case: 'title' } }], DIRTY);
    expect(s.rows.map((r) => r[0])).toEqual(['Ana Maria', 'Bob', "O'Neil"]);
  });

  it('replaces literally or by pattern', async () => {
    const s = await sheetAfter([{ type: 'clean', params: { columns: ['name'], replace: [{ find: 'a', with: '4', caseInsensitive: true }, { find: '\\s+', with: '_', regex: true }] } }], DIRTY);
    expect(s.rows.map((r) => r[0])).toEqual(['_4n4_m4ri4_', 'BOB', "o'neil"]);
  });

  it('casts to numbers, leaving failures empty and counted', async () => {
    const r = await run([{ type: 'clean', params: { columns: ['amount'], cast: 'number' } }], csv(DIRTY));
    expect((await r.sheets())['Sales']!.rows.map((x) => x[1])).toEqual([1200, null, 7]);
    expect(r.result.steps[0]!.warnings).toBe(1);
  });

  it('casts serials and ISO text to dates and fills empty cells', async () => {
    const s = await sheetAfter([{ type: 'clean', params: { columns: ['when'], fillEmpty: '2000-01-01', cast: 'date' } }], DIRTY);
    expect(s.rows.map((r) => (r[2] as Date).toISOString().slice(0, 10))).toEqual(['2024-01-05', '2000-01-01', '2024-01-09']);
  });

  it('fails the run on a cast error when asked', async () => {
    await expect(run([{ type: 'clean', params: { columns: ['amount'], cast: 'number', onCastError: 'fail' } }], csv(DIRTY))).rejects.toMatchObject({ code: 'VALIDATION_FAILED', step: 0 });
  });
});
