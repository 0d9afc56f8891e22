import type { Row } from '../values.js';
import { HeldRows } from './nodes.js';
import type { Port } from './port.js';
import type { StepContext } from './step-api.js';

/**
 * Appends the rows of `b` after the rows of `a` (a move_rows into an existing sheet). The columns are a's,
 * then b's that a lacks; b's rows are rearranged to match. Rows that arrive out of turn (b before a has
 * ended, or either before both headers are known) wait in memory, within the run's bound, and are emitted
 * in a pass of their own.
 */
export function concatPorts(ctx: StepContext, a: Port, b: Port, into: string): Port {
  const out = ctx.port(into);
  let colsA: string[] | null = null;
  let colsB: string[] | null = null;
  let mapB: number[] = [];
  let began = false;
  let aEnded = false;
  let bEnded = false;
  let bDirect = false;
  let flushScheduled = false;
  const heldA = new HeldRows(ctx, `rows of ${into} waiting for their header`);
  const heldB = new HeldRows(ctx, `rows moved to ${into} waiting for it to end`);

  const remap = (r: Row): Row => mapB.map((i) => (i < 0 ? null : (r[i] ?? null)));

  const tryBegin = () => {
    if (began || !colsA || !colsB) return;
    began = true;
    const union = [...colsA, ...colsB.filter((c) => !colsA!.includes(c))];
    mapB = union.map((c) => colsB!.indexOf(c));
    out.begin(union);
    for (const r of heldA.rows) out.row(r);
    heldA.release();
    if (aEnded) scheduleB();
  };

  const scheduleB = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    ctx.schedule(async () => {
      const rows = heldB.rows;
      for (let i = 0; i < rows.length; i++) {
        out.row(remap(rows[i]!));
        if ((i & 4095) === 4095) await ctx.control.checkpoint();
      }
      heldB.release();
      if (bEnded) out.end();
      else bDirect = true;
    });
  };

  a.attach({
    begin(c) {
      colsA = c;
      tryBegin();
    },
    row(r) {
      if (began) out.row(r);
      else heldA.push(r);
    },
    end() {
      aEnded = true;
      if (began) scheduleB();
    },
  });
  b.attach({
    begin(c) {
      colsB = c;
      tryBegin();
    },
    row(r) {
      if (bDirect) out.row(remap(r));
      else heldB.push(r);
    },
    end() {
      bEnded = true;
      if (bDirect) out.end();
    },
  });
  return out;
}
