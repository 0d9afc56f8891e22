import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../../src/index.js';
import { csv, run } from '../helpers.js';

/** One step of every type, over the columns a, b. */
const EVERY: StepSpec[] = [
  { type: 'header_row', params: { row: 1 } },
  { type: 'filter', params: { where: { column: 'a', op: 'gt', value: 1 } } },
  { type: 'move_rows', params: { to: 'Moved', where: { column: 'a', op: 'gt', value: 1 } } },
  { type: 'aggregate', params: { into: 'Agg', groupBy: ['a'], measures: [{ column: 'b', fn: 'sum', as: 's' }] } },
  { type: 'sort', params: { by: [{ column: 'a' }] } },
  { type: 'select_columns', params: { columns: ['b'] } },
  { type: 'rename_columns', params: { mapping: { a: 'x' } } },
  { type: 'reorder_columns', params: { columns: ['b'] } },
  { type: 'compute_column', params: { column: 'c', expression: 'a + b' } },
  { type: 'dedupe', params: { columns: ['a'] } },
  { type: 'lookup', params: { from: { sheet: 'Sales' }, on: [{ left: 'a', right: 'a' }], columns: [{ column: 'b', as: 'b2' }] } },
  { type: 'split', params: { by: 'a' } },
  { type: 'clean', params: { columns: ['a'], trim: true } },
  { type: 'validate', params: { rules: [{ column: 'a', check: 'required' }] } },
  { type: 'output', params: { artifacts: [{ name: 'out.xlsx' }] } },
];

describe('every step type', () => {
  it.each(EVERY.map((s) => [s.type, s] as const))('%s runs on a sheet with a header and no rows', async (_, step) => {
    const r = await run([step], csv('a,b\n'));
    expect(r.result.steps[0]).toMatchObject({ status: 'SUCCEEDED', rowsOut: 0 });
    expect(r.result.artifacts.length).toBe(1);
  });

  it.each(EVERY.filter((s) => s.type !== 'output' && s.type !== 'header_row').map((s) => [s.type, s] as const))('%s fails with MISSING_COLUMN on a sheet without its columns', async (_, step) => {
    await expect(run([step], csv('other\n1\n'))).rejects.toMatchObject({ code: 'MISSING_COLUMN', step: 0 });
  });
});
