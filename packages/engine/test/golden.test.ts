import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../src/index.js';
import type { Value } from '../src/values.js';
import { bytesInput, run, type Sheet } from './helpers.js';

/**
 * Golden tests: workbooks written by openpyxl and results computed by pandas (fixtures/make_golden.py), so
 * the engine is checked against another implementation's reading and arithmetic, not against itself.
 */
const dir = new URL('./fixtures/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('golden-expected.json', dir), 'utf8'));
const xlsx = () => bytesInput('golden-sales.xlsx', readFileSync(new URL('golden-sales.xlsx', dir)));
const csvFile = () => bytesInput('golden-sales.csv', readFileSync(new URL('golden-sales.csv', dir)));

async function sheetsOf(steps: StepSpec[], input = xlsx()): Promise<Record<string, Sheet>> {
  return (await run(steps, input)).sheets();
}
const ids = (s: Sheet) => s.rows.map((r) => r[0]);
/** pandas' values as JSON: dates as ISO text, numbers compared to 1e-9 relative. */
function same(actual: Value[][], wanted: unknown[][]): void {
  expect(actual.length).toBe(wanted.length);
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const w = wanted[i]![j];
      if (typeof w === 'number' && typeof v === 'number') expect(v).toBeCloseTo(w, Math.max(0, 9 - Math.ceil(Math.log10(Math.abs(w) + 1))));
      else if (v instanceof Date) expect(v.toISOString().slice(0, 19)).toBe(String(w).slice(0, 19));
      else expect(v).toEqual(w);
    }),
  );
}

describe('golden: openpyxl workbooks, pandas results', () => {
  it('reads every row of the openpyxl workbook, dates and unicode included', async () => {
    const s = (await sheetsOf([]))['Sales']!;
    expect(s.rows).toHaveLength(expected.rows);
    expect(s.columns).toEqual(['order_id', 'region', 'category', 'quantity', 'unit_price', 'amount', 'date', 'status', 'rep', 'note']);
    expect(s.rows.some((r) => r[1] === '東京')).toBe(true);
    expect(s.rows.some((r) => typeof r[9] === 'string' && r[9].length === 5000)).toBe(true);
  });

  it('matches pandas on filter + compute + aggregate + sort (the benchmark workflow)', async () => {
    const all = await sheetsOf([
      { type: 'filter', params: { where: { all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
      { type: 'compute_column', params: { column: 'margin', expression: 'amount * 0.2' } },
      { type: 'aggregate', params: { into: 'Summary', groupBy: ['region', 'category'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }, { column: 'margin', fn: 'sum', as: 'margin' }] } },
      { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
    ]);
    expect(ids(all['Sales']!)).toEqual(expected.bench.filtered_ids);
    same(all['Summary']!.rows, expected.bench.summary);
  });

  it('matches pandas on count, sum, mean, min, max and nunique per group', async () => {
    const all = await sheetsOf([
      { type: 'aggregate', params: { into: 'A', groupBy: ['region'], measures: [
        { fn: 'count', as: 'count' }, { column: 'amount', fn: 'sum', as: 'sum_amount' }, { column: 'amount', fn: 'avg', as: 'avg_amount' },
        { column: 'unit_price', fn: 'min', as: 'min_price' }, { column: 'unit_price', fn: 'max', as: 'max_price' }, { column: 'rep', fn: 'count_distinct', as: 'reps' },
      ] } },
      { type: 'sort', params: { sheet: 'A', by: [{ column: 'region' }] } },
    ]);
    same(all['A']!.rows, expected.aggregate);
  });

  it('matches pandas on a stable multi-key sort', async () => {
    const all = await sheetsOf([{ type: 'sort', params: { by: [{ column: 'category' }, { column: 'amount', direction: 'desc' }] } }]);
    expect(ids(all['Sales']!)).toEqual(expected.sort_ids);
  });

  it('matches pandas on date ranges, lists, case-insensitive text and emptiness', async () => {
    const all = await sheetsOf([
      { type: 'filter', params: { into: 'BI', where: { all: [{ column: 'date', op: 'between', value: ['2024-03-01', '2024-06-30 23:59:59'] }, { column: 'region', op: 'in', value: ['North', '東京'] }] } } },
      { type: 'filter', params: { into: 'CI', where: { column: 'status', op: 'contains', value: 'OPEN', caseInsensitive: true } } },
      { type: 'filter', params: { into: 'E', where: { column: 'note', op: 'is_empty' } } },
    ]);
    expect(ids(all['BI']!)).toEqual(expected.between_in_ids);
    expect(ids(all['CI']!)).toEqual(expected.contains_ci_ids);
    expect(ids(all['E']!)).toEqual(expected.note_empty_ids);
  });

  it('matches pandas drop_duplicates keeping first and last', async () => {
    const key = ['region', 'category', 'quantity', 'unit_price'];
    const all = await sheetsOf([
      { type: 'dedupe', params: { into: 'F', columns: key } },
      { type: 'dedupe', params: { into: 'L', columns: key, keep: 'last' } },
    ]);
    expect(ids(all['F']!)).toEqual(expected.dedupe_first_ids);
    expect(ids(all['L']!)).toEqual(expected.dedupe_last_ids);
  });

  it('matches pandas merge (left) to another sheet, then a group sum', async () => {
    const all = await sheetsOf([
      { type: 'lookup', params: { from: { sheet: 'Reps' }, on: [{ left: 'rep', right: 'rep' }], columns: [{ column: 'team' }] } },
      { type: 'aggregate', params: { into: 'T', groupBy: ['team'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
      { type: 'sort', params: { sheet: 'T', by: [{ column: 'team' }] } },
    ]);
    same(all['T']!.rows, expected.lookup_team_amount);
  });

  it('matches pandas on computed text and date parts', async () => {
    const all = await sheetsOf([{ type: 'compute_column', params: { column: 'x', expression: 'year(date)' } }, { type: 'compute_column', params: { column: 'y', expression: 'upper(region)' } }]);
    same(all['Sales']!.rows.slice(0, 5).map((r) => r.slice(-2)), expected.compute_first);
  });

  it('matches pandas read_csv on the same data as a ;-separated csv with a BOM', async () => {
    const all = await sheetsOf(
      [
        { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 100 } } },
        { type: 'aggregate', params: { into: 'C', groupBy: ['category'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
        { type: 'sort', params: { sheet: 'C', by: [{ column: 'category' }] } },
      ],
      csvFile(),
    );
    same(all['C']!.rows, expected.csv_category_amount);
  });
});
