import { EngineError } from '../errors.js';
import { atStep, HeldRows, indexes } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { columnName, objectSchema, sheetName, sheetParams } from '../schema/common.js';
import { joinKey, rowBytes, type Row } from '../values.js';

interface Params {
  sheet?: string;
  into?: string;
  from: { sheet?: string; file?: string };
  on: Array<{ left: string; right: string }>;
  columns: Array<{ column: string; as?: string }>;
  mode?: 'left' | 'inner';
  multiple?: 'first' | 'last' | 'error';
  caseInsensitive?: boolean;
}

export const lookup: StepModule<Params> = {
  type: 'lookup',
  title: 'Look up values',
  description:
    'Joins each row to the matching row of another sheet or file (on key columns) and brings its columns over. Left mode keeps rows without a match (empty cells), inner drops them. Numbers and numeric text match.',
  paramsSchema: objectSchema(
    {
      ...sheetParams,
      from: objectSchema({ sheet: sheetName, file: { type: 'string', minLength: 1, maxLength: 200, description: 'A key of the files given to the run.' } }, []),
      on: { type: 'array', minItems: 1, items: objectSchema({ left: columnName, right: columnName }, ['left', 'right']) },
      columns: { type: 'array', minItems: 1, items: objectSchema({ column: columnName, as: columnName }, ['column']) },
      mode: { enum: ['left', 'inner'] },
      multiple: { enum: ['first', 'last', 'error'], description: 'Which row wins when several match (error: fail the run).' },
      caseInsensitive: { type: 'boolean' },
    },
    ['from', 'on', 'columns'],
  ),
  files: (p) => (p.from.file ? [p.from.file] : []),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const ci = p.caseInsensitive === true;
    const what = `the lookup table of step ${ctx.index}`;
    const build = p.from.file ? ctx.readFile(p.from.file, p.from.sheet) : ctx.read(p.from.sheet);
    // Read the lookup table's file before the rows that probe it, so they need not wait in memory.
    if (build.origin) build.origin.priority = 0;
    const probe = ctx.read(p.sheet);
    const out = ctx.port(into);
    const stats = ctx.stats;
    const table = new Map<string, Row>();
    let tableBytes = 0;
    let rightIdx: number[] = [];
    let bringIdx: number[] = [];
    let leftIdx: number[] = [];
    let leftCols: string[] | null = null;
    let built = false;
    let probeEnded = false;
    const waiting = new HeldRows(ctx, `rows waiting for ${what}`);

    const key = (r: Row, idx: number[]) => {
      let k = '';
      for (const i of idx) k += joinKey(r[i] ?? null, ci) + '\u0001';
      return k;
    };
    const join = (r: Row) => {
      stats.rowsIn++;
      const m = table.get(key(r, leftIdx));
      if (m === undefined && p.mode === 'inner') return;
      const o = r.slice();
      while (o.length < leftCols!.length) o.push(null);
      for (let k = 0; k < bringIdx.length; k++) o.push(m === undefined ? null : (m[bringIdx[k]!] ?? null));
      stats.rowsOut++;
      out.row(o);
    };
    const start = () => {
      if (!built || leftCols === null) return;
      const taken = new Set(leftCols);
      const added = p.columns.map((c) => {
        let name = c.as ?? c.column;
        for (let k = 2; taken.has(name); k++) name = `${c.as ?? c.column}_${k}`;
        taken.add(name);
        return name;
      });
      out.begin([...leftCols, ...added]);
      if (waiting.rows.length) {
        ctx.schedule(async () => {
          const rows = waiting.rows;
          for (let i = 0; i < rows.length; i++) {
            join(rows[i]!);
            if ((i & 4095) === 4095) await ctx.control.checkpoint();
          }
          waiting.release();
          if (probeEnded) finish();
        });
      } else if (probeEnded) finish();
    };
    const finish = () => {
      table.clear();
      ctx.budget.release(0, tableBytes);
      stats.endedAt = performance.now();
      out.end();
    };

    build.attach({
      begin(columns) {
        atStep(ctx, () => {
          rightIdx = indexes(columns, p.on.map((o) => o.right));
          bringIdx = indexes(columns, p.columns.map((c) => c.column));
        });
      },
      row(r) {
        const k = key(r, rightIdx);
        if (table.has(k)) {
          if (p.multiple === 'error') throw new EngineError('DUPLICATE_KEY', `the lookup table has several rows for one key`, { step: ctx.index });
          if (p.multiple !== 'last') return;
        }
        const kept = bringIdx.map((i) => r[i] ?? null);
        const b = rowBytes(kept) + 48 + k.length * 2;
        tableBytes += b;
        ctx.budget.reserve(0, b, what);
        table.set(k, kept);
      },
      end() {
        built = true;
        // Bring columns are stored in order, so they are read at 0..n-1 from now on.
        bringIdx = bringIdx.map((_, j) => j);
        start();
      },
    });
    probe.attach({
      begin(columns) {
        stats.startedAt = performance.now();
        leftIdx = atStep(ctx, () => indexes(columns, p.on.map((o) => o.left)));
        leftCols = columns;
        start();
      },
      row(r) {
        if (built && waiting.rows.length === 0) join(r);
        else waiting.push(r);
      },
      end() {
        probeEnded = true;
        if (built && waiting.rows.length === 0) finish();
      },
    });
    ctx.write(into, out);
  },
};
