import { compileExpression } from '../expr/compile.js';
import { mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkExpression } from '../schema/checks.js';
import { columnName, objectSchema, sheetParams } from '../schema/common.js';
import type { Row } from '../values.js';

interface Params {
  sheet?: string;
  into?: string;
  column: string;
  expression: string;
}

export const computeColumn: StepModule<Params> = {
  type: 'compute_column',
  title: 'Compute a column',
  description: 'Sets a column (new, or replacing one) to the value of an expression over each row, e.g. "amount * 0.2".',
  paramsSchema: objectSchema({ ...sheetParams, column: columnName, expression: { type: 'string', minLength: 1, maxLength: 4000 } }, ['column', 'expression']),
  check: (p) => checkExpression(p.expression, 'expression'),
  plan(p, ctx) {
    const expr = compileExpression(p.expression);
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      const f = expr.bind(columns);
      const existing = columns.indexOf(p.column);
      const at = existing >= 0 ? existing : columns.length;
      return {
        columns: existing >= 0 ? columns : [...columns, p.column],
        row(r: Row) {
          const o = r.slice();
          while (o.length < at) o.push(null);
          o[at] = f(r);
          return o;
        },
      };
    });
    ctx.write(into, out);
  },
};
