import { describe, expect, it } from 'vitest';
import { run, csv, SALES, sheetAfter } from '../helpers.js';

describe('aggregate', () => {
  it('computes every function per group, in order of first appearance', async () => {
    const s = await sheetAfter(
      [{ type: 'aggregate', params: { into: 'Sum', groupBy: ['region'], measures: [
        { fn: 'count', as: 'rows' }, { column: 'amount', fn: 'sum' }, { column: 'amount', fn: 'avg', as: 'avg' },
        { column: 'amount', fn: 'min', as: 'min' }, { column: 'date', fn: 'max', as: 'last' }, { column: 'status', fn: 'count_distinct', as: 'statuses' },
        { column: 'amount', fn: 'count', as: 'amounts' },
      ] } }],
      SALES,
      'Sum',
    );
    expect(s.columns).toEqual(['region', 'rows', 'sum_amount', 'avg', 'min', 'last', 'statuses', 'amounts']);
    expect(s.rows[0]).toEqual(['North', 2, 320.5, 160.25, 120.5, new Date('2024-03-15T00:00:00Z'), 2, 2]);
    expect(s.rows[2]).toEqual(['East', 1, 0, null, null, new Date('2024-04-20T00:00:00Z'), 1, 0]);
    expect(s.rows.map((r) => r[0])).toEqual(['North', 'South', 'East', 'south']);
  });

  it('sums with compensation, so many small amounts add up exactly', async () => {
    const text = 'g,x\n' + Array.from({ length: 10000 }, () => 'a,0.1').join('\n');
    const s = await sheetAfter([{ type: 'aggregate', params: { groupBy: ['g'], measures: [{ column: 'x', fn: 'sum', as: 'x' }] } }], text);
    expect(s.rows[0]![1]).toBe(1000);
  });

  it('gives one row of totals without groupBy, even for an empty sheet', async () => {
    const s = await sheetAfter([{ type: 'aggregate', params: { groupBy: [], measures: [{ fn: 'count', as: 'n' }, { column: 'x', fn: 'sum', as: 's' }] } }], 'x\n');
    expect(s.rows).toEqual([[0, 0]]);
  });

  it('takes the min and max of the numbers when text such as "n/a" or "-" is among them, as Excel does', async () => {
    const text = 'g,amount,due\na,120,2024-03-01\na,n/a,TBD\na,-,2024-01-15\na,80.5,\nb,none,\nb,zz,\n';
    const s = await sheetAfter([{ type: 'aggregate', params: { into: 'M', groupBy: ['g'], measures: [
      { column: 'amount', fn: 'min', as: 'min' }, { column: 'amount', fn: 'max', as: 'max' }, { column: 'due', fn: 'min', as: 'first' }, { column: 'due', fn: 'max', as: 'last' },
    ] } }], text, 'M');
    expect(s.rows).toEqual([
      ['a', 80.5, 120, new Date('2024-01-15T00:00:00Z'), new Date('2024-03-01T00:00:00Z')],
      // Text alone is compared as text.
      ['b', 'none', 'zz', null, null],
    ]);
  });

  it('leaves non-numeric values out of sums and counts a warning', async () => {
    const r = await run([{ type: 'aggregate', params: { groupBy: [], measures: [{ column: 'x', fn: 'sum', as: 's' }] } }], csv('x\n1\nabc\n2\n'));
    expect((await r.sheets())['Sales']!.rows).toEqual([[3]]);
    expect(r.result.steps[0]!.warnings).toBe(1);
  });
});

describe('sort', () => {
  it('sorts by several keys, stable, empty cells last in both directions', async () => {
    const text = 'k,v,id\nb,2,1\na,,2\nb,1,3\na,5,4\n,9,5\nA,5,6\n';
    const asc = await sheetAfter([{ type: 'sort', params: { by: [{ column: 'k' }, { column: 'v', direction: 'desc' }] } }], text);
    expect(asc.rows.map((r) => r[2])).toEqual([6, 4, 2, 1, 3, 5]);
    const ci = await sheetAfter([{ type: 'sort', params: { by: [{ column: 'k', caseInsensitive: true, direction: 'desc' }] } }], text);
    expect(ci.rows.map((r) => r[2])).toEqual([1, 3, 2, 4, 6, 5]);
  });

  it('orders mixed types numbers, dates, text', async () => {
    const s = await sheetAfter([{ type: 'sort', params: { by: [{ column: 'v' }] } }], 'v\nzeta\n2024-01-01\n10\n9\n');
    expect(s.rows.map((r) => r[0])).toEqual([9, 10, new Date('2024-01-01T00:00:00Z'), 'zeta']);
  });

  it('sorts unicode text by code point', async () => {
    const s = await sheetAfter([{ type: 'sort', params: { by: [{ column: 'v' }] } }], 'v\n東京\nZürich\nAmsterdam\n');
    expect(s.rows.map((r) => r[0])).toEqual(['Amsterdam', 'Zürich', '東京']);
  });
});
