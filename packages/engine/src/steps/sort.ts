import { atStep, emitLater, HeldRows, indexes } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { columnName, objectSchema, sheetParams } from '../schema/common.js';
import { compareValues, isEmpty, type Row } from '../values.js';

interface Key {
  column: string;
  direction?: 'asc' | 'desc';
  caseInsensitive?: boolean;
}

interface Params {
  sheet?: string;
  into?: string;
  by: Key[];
}

export const sort: StepModule<Params> = {
  type: 'sort',
  title: 'Sort rows',
  description: 'Sorts by one or more columns, each ascending or descending; stable, empty cells last, mixed types ordered numbers, dates, text, booleans.',
  paramsSchema: objectSchema(
    {
      ...sheetParams,
      by: {
        type: 'array',
        minItems: 1,
        items: objectSchema({ column: columnName, direction: { enum: ['asc', 'desc'] }, caseInsensitive: { type: 'boolean' } }, ['column']),
      },
    },
    ['by'],
  ),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = ctx.port(into);
    const held = new HeldRows(ctx, `sort of ${JSON.stringify(into)}`);
    const stats = ctx.stats;
    let cols: string[] = [];
    let compare: (a: Row, b: Row) => number = () => 0;
    ctx.read(p.sheet).attach({
      begin(columns) {
        stats.startedAt = performance.now();
        cols = columns;
        const idx = atStep(ctx, () => indexes(columns, p.by.map((k) => k.column)));
        const keys = p.by.map((k, j) => ({ i: idx[j]!, sign: k.direction === 'desc' ? -1 : 1, ci: k.caseInsensitive === true }));
        compare = (a, b) => {
          for (const k of keys) {
            const x = a[k.i] ?? null;
            const y = b[k.i] ?? null;
            const ex = isEmpty(x);
            const ey = isEmpty(y);
            if (ex || ey) {
              if (ex && ey) continue;
              return ex ? 1 : -1;
            }
            const c = compareValues(x, y, k.ci);
            if (c !== 0) return c * k.sign;
          }
          return 0;
        };
      },
      row(r) {
        stats.rowsIn++;
        held.push(r);
      },
      end() {
        // Array.prototype.sort is stable (ES2019), so equal keys keep their input order.
        held.rows.sort(compare);
        stats.rowsOut = held.rows.length;
        stats.endedAt = performance.now();
        emitLater(ctx, out, cols, held);
      },
    });
    ctx.write(into, out);
  },
};
