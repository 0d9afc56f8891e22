import { compileCondition, type Condition } from '../conditions.js';
import { EngineError } from '../errors.js';
import { concatPorts } from '../flow/concat.js';
import { atStep } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkCondition } from '../schema/checks.js';
import { conditionDefs, conditionRef, objectSchema, sheetName } from '../schema/common.js';
import type { Row } from '../values.js';

interface Params {
  sheet?: string;
  to: string;
  where: Condition;
}

export const moveRows: StepModule<Params> = {
  type: 'move_rows',
  title: 'Move rows to another sheet',
  description: 'Takes the rows that match a condition out of a sheet and appends them to another sheet (created when absent).',
  paramsSchema: objectSchema(
    { sheet: { ...sheetName, description: "The sheet to take rows from (default: the input's first sheet)." }, to: { ...sheetName, description: 'The sheet the rows go to.' }, where: conditionRef },
    ['to', 'where'],
    { $defs: conditionDefs },
  ),
  check: (p) => checkCondition(p.where, 'where'),
  plan(p, ctx) {
    const condition = compileCondition(p.where);
    const from = ctx.sheetName(p.sheet);
    if (p.to === from) throw new EngineError('INVALID_STEPS', 'move_rows: "to" must name another sheet than the one rows are taken from');
    const input = ctx.read(p.sheet);
    const kept = ctx.port(from);
    const moved = ctx.port(p.to);
    const stats = ctx.stats;
    let test: ((r: Row) => boolean) | null = null;
    input.attach({
      begin(columns) {
        stats.startedAt = performance.now();
        test = atStep(ctx, () => condition.bind(columns));
        kept.begin(columns);
        moved.begin(columns);
      },
      row(r) {
        stats.rowsIn++;
        if (test!(r)) moved.row(r);
        else {
          stats.rowsOut++;
          kept.row(r);
        }
      },
      end() {
        stats.endedAt = performance.now();
        ctx.log('info', `moved ${stats.rowsIn - stats.rowsOut} rows from ${JSON.stringify(from)} to ${JSON.stringify(p.to)}`);
        kept.end();
        moved.end();
      },
    });
    const target = ctx.hasSheet(p.to) ? concatPorts(ctx, ctx.read(p.to), moved, p.to) : moved;
    ctx.write(from, kept);
    ctx.write(p.to, target);
  },
};
