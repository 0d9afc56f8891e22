import { atStep, emitLater, HeldRows, indexes, mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { columnList, objectSchema, sheetParams } from '../schema/common.js';
import { valueKey, type Row } from '../values.js';

interface Params {
  sheet?: string;
  into?: string;
  columns?: string[];
  keep?: 'first' | 'last';
  caseInsensitive?: boolean;
}

function keyOf(r: Row, idx: number[], ci: boolean): string {
  let k = '';
  for (const i of idx) k += valueKey(r[i] ?? null, ci) + '\u0001';
  return k;
}

export const dedupe: StepModule<Params> = {
  type: 'dedupe',
  title: 'Remove duplicate rows',
  description: 'Keeps one row per distinct value of the given columns (default: all columns), the first or the last one.',
  paramsSchema: objectSchema({ ...sheetParams, columns: columnList, keep: { enum: ['first', 'last'] }, caseInsensitive: { type: 'boolean' } }, []),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const ci = p.caseInsensitive === true;
    const what = `dedupe of ${JSON.stringify(into)}`;
    if (p.keep !== 'last') {
      // Keeping the first streams: only the keys seen so far are held.
      const seen = new Set<string>();
      let bytes = 0;
      const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
        const idx = p.columns ? indexes(columns, p.columns) : columns.map((_, i) => i);
        return {
          columns,
          row(r) {
            const k = keyOf(r, idx, ci);
            if (seen.has(k)) return null;
            seen.add(k);
            const b = 48 + k.length * 2;
            bytes += b;
            ctx.budget.reserve(0, b, what);
            return r;
          },
          end() {
            if (seen.size < ctx.stats.rowsIn) ctx.log('info', `removed ${ctx.stats.rowsIn - seen.size} duplicate rows`);
            seen.clear();
            ctx.budget.release(0, bytes);
          },
        };
      });
      ctx.write(into, out);
      return;
    }
    const out = ctx.port(into);
    const held = new HeldRows(ctx, what);
    const last = new Map<string, number>();
    const stats = ctx.stats;
    let idx: number[] = [];
    let cols: string[] = [];
    ctx.read(p.sheet).attach({
      begin(columns) {
        stats.startedAt = performance.now();
        cols = columns;
        idx = atStep(ctx, () => (p.columns ? indexes(columns, p.columns) : columns.map((_, i) => i)));
      },
      row(r) {
        last.set(keyOf(r, idx, ci), stats.rowsIn++);
        held.push(r);
      },
      end() {
        const keepRow = new Uint8Array(held.rows.length);
        for (const i of last.values()) keepRow[i] = 1;
        last.clear();
        held.rows = held.rows.filter((_, i) => keepRow[i] === 1);
        stats.rowsOut = held.rows.length;
        stats.endedAt = performance.now();
        emitLater(ctx, out, cols, held);
      },
    });
    ctx.write(into, out);
  },
};
