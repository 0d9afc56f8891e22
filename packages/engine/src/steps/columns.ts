import { EngineError } from '../errors.js';
import { indexes, mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { issueOf } from '../schema/checks.js';
import { columnList, columnName, objectSchema, sheetParams } from '../schema/common.js';
import type { Row } from '../values.js';

/** Rows rearranged to `idx` (positions in the input row). */
function pick(idx: number[]): (r: Row) => Row {
  return (r) => {
    const o = new Array(idx.length);
    for (let k = 0; k < idx.length; k++) o[k] = r[idx[k]!] ?? null;
    return o;
  };
}

export const selectColumns: StepModule<{ sheet?: string; into?: string; columns?: string[]; drop?: string[] }> = {
  type: 'select_columns',
  title: 'Select columns',
  description: 'Keeps the listed columns in the listed order (columns), or every column but the listed ones (drop).',
  paramsSchema: objectSchema({ ...sheetParams, columns: columnList, drop: columnList }, []),
  check: (p) =>
    issueOf('columns', () => {
      if ((p.columns === undefined) === (p.drop === undefined)) throw new EngineError('INVALID_STEPS', 'give either columns or drop');
    }),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      const keep = p.columns ?? (indexes(columns, p.drop ?? []), columns.filter((c) => !p.drop!.includes(c)));
      return { columns: keep, row: pick(indexes(columns, keep)) };
    });
    ctx.write(into, out);
  },
};

export const renameColumns: StepModule<{ sheet?: string; into?: string; mapping: Record<string, string> }> = {
  type: 'rename_columns',
  title: 'Rename columns',
  description: 'Renames columns: mapping from the current name to the new one.',
  paramsSchema: objectSchema(
    { ...sheetParams, mapping: { type: 'object', minProperties: 1, additionalProperties: columnName, propertyNames: columnName } },
    ['mapping'],
  ),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      indexes(columns, Object.keys(p.mapping));
      const renamed = columns.map((c) => (Object.hasOwn(p.mapping, c) ? p.mapping[c]! : c));
      const dup = renamed.find((c, i) => renamed.indexOf(c) !== i);
      if (dup !== undefined) throw new EngineError('INVALID_STEPS', `renaming would give two columns named ${JSON.stringify(dup)}`);
      return { columns: renamed, row: (r) => r };
    });
    ctx.write(into, out);
  },
};

export const reorderColumns: StepModule<{ sheet?: string; into?: string; columns: string[] }> = {
  type: 'reorder_columns',
  title: 'Reorder columns',
  description: 'Puts the listed columns first, in the listed order; the others follow in their current order.',
  paramsSchema: objectSchema({ ...sheetParams, columns: columnList }, ['columns']),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      indexes(columns, p.columns);
      const order = [...p.columns, ...columns.filter((c) => !p.columns.includes(c))];
      return { columns: order, row: pick(indexes(columns, order)) };
    });
    ctx.write(into, out);
  },
};
