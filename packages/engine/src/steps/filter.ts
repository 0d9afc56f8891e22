import { compileCondition, type Condition } from '../conditions.js';
import { mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkCondition } from '../schema/checks.js';
import { conditionDefs, conditionRef, objectSchema, sheetParams } from '../schema/common.js';

interface Params {
  sheet?: string;
  into?: string;
  where: Condition;
}

export const filter: StepModule<Params> = {
  type: 'filter',
  title: 'Filter rows',
  description: 'Keeps the rows that match a condition and drops the others.',
  paramsSchema: objectSchema({ ...sheetParams, where: conditionRef }, ['where'], { $defs: conditionDefs }),
  check: (p) => checkCondition(p.where, 'where'),
  plan(p, ctx) {
    const condition = compileCondition(p.where);
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      const test = condition.bind(columns);
      return { columns, row: (r) => (test(r) ? r : null) };
    });
    ctx.write(into, out);
  },
};
