import { describe, expect, it } from 'vitest';
import { csv, run, SALES, sheetAfter } from '../helpers.js';

describe('filter', () => {
  it('keeps matching rows and reports rows in and out', async () => {
    const r = await run([{ type: 'filter', params: { where: { all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } }], csv(SALES));
    const s = (await r.sheets())['Sales']!;
    expect(s.rows.map((x) => x[0])).toEqual([1, 3, 5]);
    expect(r.result.steps[0]).toMatchObject({ type: 'filter', status: 'SUCCEEDED', rowsIn: 5, rowsOut: 3 });
  });

  it('writes into another sheet and leaves the source as it was', async () => {
    const r = await run([{ type: 'filter', params: { sheet: 'Sales', into: 'Big', where: { column: 'amount', op: 'gte', value: 150 } } }], csv(SALES));
    const all = await r.sheets();
    expect(Object.keys(all)).toEqual(['Sales', 'Big']);
    expect(all['Sales']!.rows).toHaveLength(5);
    expect(all['Big']!.rows.map((x) => x[0])).toEqual([3, 5]);
  });

  it('fails with MISSING_COLUMN naming the step', async () => {
    await expect(run([{ type: 'filter', params: { where: { column: 'price', op: 'gt', value: 1 } } }], csv(SALES))).rejects.toMatchObject({ code: 'MISSING_COLUMN', step: 0 });
  });

  it('fails with SHEET_NOT_FOUND for an unknown sheet', async () => {
    await expect(run([{ type: 'filter', params: { sheet: 'Nope', where: { column: 'id', op: 'gt', value: 1 } } }], csv(SALES))).rejects.toMatchObject({ code: 'SHEET_NOT_FOUND' });
  });

  it('keeps a header-only sheet and an empty file as sheets without rows', async () => {
    expect((await sheetAfter([{ type: 'filter', params: { where: { column: 'id', op: 'gt', value: 1 } } }], 'id,name\n')).rows).toEqual([]);
    const empty = await sheetAfter([], '');
    expect(empty).toEqual({ columns: [], rows: [] });
  });

  it('compares mixed-type columns by type', async () => {
    const s = await sheetAfter([{ type: 'filter', params: { where: { column: 'v', op: 'gt', value: 10 } } }], 'v\n5\n20\nabc\n\n30\n');
    expect(s.rows).toEqual([[20], [30]]);
  });
});

describe('move_rows', () => {
  it('moves matching rows to a new sheet', async () => {
    const r = await run([{ type: 'move_rows', params: { to: 'Void', where: { column: 'status', op: 'eq', value: 'void' } } }], csv(SALES));
    const all = await r.sheets();
    expect(all['Sales']!.rows.map((x) => x[0])).toEqual([1, 3, 4, 5]);
    expect(all['Void']!.rows.map((x) => x[0])).toEqual([2]);
    expect(r.result.steps[0]).toMatchObject({ rowsIn: 5, rowsOut: 4 });
  });

  it('appends to an existing sheet after its rows, aligning columns by name', async () => {
    const steps = [
      { type: 'filter', params: { into: 'Archive', where: { column: 'id', op: 'eq', value: 1 } } },
      { type: 'select_columns', params: { sheet: 'Archive', columns: ['status', 'id'] } },
      { type: 'move_rows', params: { to: 'Archive', where: { column: 'region', op: 'eq', value: 'North' } } },
    ];
    const all = await (await run(steps, csv(SALES))).sheets();
    expect(all['Archive']!.columns).toEqual(['status', 'id', 'region', 'amount', 'date']);
    expect(all['Archive']!.rows.map((x) => x[1])).toEqual([1, 1, 3]);
    expect(all['Sales']!.rows.map((x) => x[0])).toEqual([2, 4, 5]);
  });
});
