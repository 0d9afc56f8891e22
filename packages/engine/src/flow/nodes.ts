import { EngineError, missingColumn } from '../errors.js';
import { rowBytes, type Row } from '../values.js';
import type { Port, RowSink } from './port.js';
import type { StepContext } from './step-api.js';

/** Attributes an error thrown while a step runs to that step. */
export function atStep<T>(ctx: StepContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof EngineError && e.step === undefined) e.step = ctx.index;
    throw e;
  }
}

export interface RowFn {
  columns: string[];
  /** Returns the output row, or null to drop the row. */
  row(r: Row): Row | null;
  end?(): void;
}

/**
 * A row-wise step: `make` sees the input's columns once and returns the output columns and a row function.
 * It runs in the pass that reads its input, holding nothing.
 */
export function mapRows(ctx: StepContext, input: Port, into: string, make: (columns: string[]) => RowFn): Port {
  const out = ctx.port(into);
  const stats = ctx.stats;
  let fn: RowFn | null = null;
  input.attach({
    begin(columns) {
      stats.startedAt = performance.now();
      fn = atStep(ctx, () => make(columns));
      out.begin(fn.columns);
    },
    row(r) {
      stats.rowsIn++;
      let o: Row | null;
      try {
        o = fn!.row(r);
      } catch (e) {
        if (e instanceof EngineError && e.step === undefined) e.step = ctx.index;
        throw e;
      }
      if (o !== null) {
        stats.rowsOut++;
        out.row(o);
      }
    },
    end() {
      if (fn?.end) atStep(ctx, () => fn!.end!());
      stats.endedAt = performance.now();
      out.end();
    },
  });
  return out;
}

/** Rows held by a blocking step, counted against the run's memory bound. */
export class HeldRows {
  rows: Row[] = [];
  private bytes = 0;
  private count = 0;

  constructor(
    private readonly ctx: StepContext,
    private readonly what: string,
  ) {}

  push(r: Row): void {
    const b = rowBytes(r);
    this.bytes += b;
    this.count++;
    this.rows.push(r);
    this.ctx.budget.reserve(1, b, this.what);
  }

  release(): void {
    this.ctx.budget.release(this.count, this.bytes);
    this.rows = [];
    this.bytes = 0;
    this.count = 0;
  }
}

/**
 * Emits held rows to `out` in a pass of its own, checking cancellation and the writers' back-pressure every
 * few thousand rows, then releases them.
 */
export function emitLater(ctx: StepContext, out: RowSink, columns: string[], held: HeldRows): void {
  ctx.schedule(async () => {
    out.begin(columns);
    const rows = held.rows;
    for (let i = 0; i < rows.length; i++) {
      out.row(rows[i]!);
      if ((i & 4095) === 4095) await ctx.control.checkpoint();
    }
    held.release();
    out.end();
  });
}

/** Resolves column names to positions, failing with MISSING_COLUMN. */
export function indexes(columns: readonly string[], names: readonly string[]): number[] {
  return names.map((n) => {
    const i = columns.indexOf(n);
    if (i < 0) throw missingColumn(n, columns);
    return i;
  });
}
