import { atStep, emitLater, HeldRows, indexes } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { columnName, objectSchema, sheetParams } from '../schema/common.js';
import { compareValues, isEmpty, rank, toNumber, valueKey, type Row, type Value } from '../values.js';

type Fn = 'sum' | 'count' | 'avg' | 'min' | 'max' | 'count_distinct';

interface Measure {
  column?: string;
  fn: Fn;
  as?: string;
}

interface Params {
  sheet?: string;
  into?: string;
  groupBy: string[];
  measures: Measure[];
}

/** One measure's running state for one group. Sums are Kahan-compensated, as pandas' groupby sum is. */
interface Acc {
  sum: number;
  comp: number;
  n: number;
  best: Value;
  distinct: Set<string> | null;
}

const GROUP_BYTES = 200;

export const aggregate: StepModule<Params> = {
  type: 'aggregate',
  title: 'Group and summarise',
  description: 'Groups rows by columns and computes sum, count, avg, min, max or count_distinct per group, one row per group in order of first appearance. Empty group keys form a group of their own. In a column of mixed types, min and max are taken over its numbers (else its dates, else its text), as in Excel.',
  paramsSchema: objectSchema(
    {
      ...sheetParams,
      groupBy: { type: 'array', items: columnName, uniqueItems: true, description: 'Empty: one row of totals.' },
      measures: {
        type: 'array',
        minItems: 1,
        items: objectSchema(
          { column: columnName, fn: { enum: ['sum', 'count', 'avg', 'min', 'max', 'count_distinct'] }, as: columnName },
          ['fn'],
          { if: { properties: { fn: { not: { const: 'count' } } } }, then: { required: ['column'] } },
        ),
      },
    },
    ['groupBy', 'measures'],
  ),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const out = ctx.port(into);
    const stats = ctx.stats;
    const names = p.measures.map((m) => m.as ?? (m.column ? `${m.fn}_${m.column}` : m.fn));
    const outColumns = [...p.groupBy, ...names];
    const groups = new Map<string, { keys: Value[]; accs: Acc[] }>();
    const held = new HeldRows(ctx, `aggregate into ${JSON.stringify(into)}`);
    let keyIdx: number[] = [];
    let measureIdx: number[] = [];
    let skipped = 0;
    let stateBytes = 0;
    const hold = (bytes: number, what: string) => {
      stateBytes += bytes;
      ctx.budget.reserve(0, bytes, what);
    };

    const newGroup = (r: Row) => {
      const keys = keyIdx.map((i) => r[i] ?? null);
      let bytes = GROUP_BYTES;
      for (const k of keys) bytes += typeof k === 'string' ? 16 + k.length * 2 : 16;
      hold(bytes, `aggregate into ${JSON.stringify(into)}`);
      return { keys, accs: p.measures.map((m): Acc => ({ sum: 0, comp: 0, n: 0, best: null, distinct: m.fn === 'count_distinct' ? new Set() : null })) };
    };

    ctx.read(p.sheet).attach({
      begin(columns) {
        stats.startedAt = performance.now();
        atStep(ctx, () => {
          keyIdx = indexes(columns, p.groupBy);
          measureIdx = p.measures.map((m) => (m.column === undefined ? -1 : indexes(columns, [m.column])[0]!));
        });
      },
      row(r) {
        stats.rowsIn++;
        let key = '';
        for (let k = 0; k < keyIdx.length; k++) key += valueKey(r[keyIdx[k]!] ?? null) + '\u0001';
        let g = groups.get(key);
        if (g === undefined) {
          g = newGroup(r);
          groups.set(key, g);
        }
        for (let m = 0; m < measureIdx.length; m++) {
          const acc = g.accs[m]!;
          const ci = measureIdx[m]!;
          if (ci < 0) {
            acc.n++;
            continue;
          }
          const v = r[ci] ?? null;
          if (isEmpty(v)) continue;
          const fn = p.measures[m]!.fn;
          if (fn === 'sum' || fn === 'avg') {
            const x = typeof v === 'number' ? v : toNumber(v);
            if (x === null) {
              skipped++;
              continue;
            }
            const y = x - acc.comp;
            const t = acc.sum + y;
            acc.comp = t - acc.sum - y;
            acc.sum = t;
            acc.n++;
          } else if (fn === 'count') acc.n++;
          else if (fn === 'count_distinct') {
            const k = valueKey(v);
            if (!acc.distinct!.has(k)) {
              acc.distinct!.add(k);
              hold(48 + k.length * 2, `count_distinct in ${JSON.stringify(into)}`);
            }
          } else if (acc.best === null || beats(v, acc.best, fn === 'max' ? 1 : -1)) acc.best = v;
        }
      },
      end() {
        for (const g of groups.values()) held.push([...g.keys, ...g.accs.map((a, m) => result(p.measures[m]!.fn, a))]);
        if (keyIdx.length === 0 && groups.size === 0) held.push(p.measures.map((m) => result(m.fn, { sum: 0, comp: 0, n: 0, best: null, distinct: new Set() })));
        groups.clear();
        ctx.budget.release(0, stateBytes);
        stats.rowsOut = held.rows.length;
        stats.warnings = skipped;
        if (skipped) ctx.log('warn', `${skipped} non-numeric values were left out of sums and averages`);
        stats.endedAt = performance.now();
        emitLater(ctx, out, outColumns, held);
      },
    });
    ctx.write(into, out);
  },
};

/**
 * Whether `v` replaces `best` as the min (sign -1) or max (1): within a type by value; across types numbers
 * win over dates, dates over text, text over booleans, whatever the direction. Like Excel's MIN and MAX, which
 * pass over text among numbers: the max of amounts with a "n/a" or "-" among them is the largest amount, not
 * the text (which ranks after numbers in a sort).
 */
function beats(v: Value, best: Value, sign: number): boolean {
  const rv = rank(v);
  const rb = rank(best);
  return rv !== rb ? rv < rb : compareValues(v, best) * sign > 0;
}

function result(fn: Fn, a: Acc): Value {
  switch (fn) {
    case 'sum':
      return a.sum;
    case 'count':
      return a.n;
    case 'avg':
      return a.n ? a.sum / a.n : null;
    case 'count_distinct':
      return a.distinct!.size;
    default:
      return a.best;
  }
}
