import { MemoryBudget, type MemoryPool } from './flow/budget.js';
import { RunControl } from './flow/control.js';
import { Port, type RowSink } from './flow/port.js';
import { RunGraph, type GraphDeps } from './flow/run-graph.js';
import { countOutputs } from './outputs.js';
import type { SheetGroup } from './flow/step-api.js';
import type { InputFile } from './io/open-input.js';
import { assertValidSteps, openSources, type StepSpec } from './run.js';
import { MODULES } from './steps/registry.js';
import type { Row } from './values.js';

export interface PreviewOptions {
  steps: StepSpec[];
  input: InputFile;
  files?: Record<string, InputFile>;
  /**
   * Rows read from each input sheet, and rows shown per sheet (1..10,000). The sheets of `files` (a lookup's
   * table) are read whole, as a run reads them, within the engine's memory bound.
   */
  limit: number;
  signal?: AbortSignal;
  /**
   * What this preview shares with the other previews of the process, as `memoryPool` of runWorkflow: each one's
   * reservations count against it too, a preview past it fails with BUSY (others hold the rest) or TOO_LARGE, and
   * it is given back when the preview ends, however it ends.
   */
  memoryPool?: MemoryPool;
}

export interface PreviewSheet {
  columns: string[];
  rows: unknown[][];
}

export interface PreviewStep {
  index: number;
  type: string;
  rowsIn: number;
  rowsOut: number;
  sheets: Record<string, PreviewSheet>;
}

class Capture implements RowSink {
  readonly sheet: PreviewSheet = { columns: [], rows: [] };
  constructor(private readonly limit: number) {}
  begin(columns: string[]): void {
    this.sheet.columns = columns;
  }
  row(r: Row): void {
    if (this.sheet.rows.length < this.limit) this.sheet.rows.push(r.slice());
  }
  end(): void {}
}

/**
 * Runs a draft workflow on the first `limit` rows of each input sheet and shows, for every step, the first
 * rows of each sheet it wrote. Nothing is written: an output step counts the rows its artifacts would get. The files the steps
 * read are read whole: a lookup finds a match wherever it is in its table, as in a run.
 */
export async function previewWorkflow(opts: PreviewOptions): Promise<{ steps: PreviewStep[] }> {
  assertValidSteps(opts.steps);
  const limit = Math.max(1, Math.min(10_000, Math.floor(opts.limit)));
  const budget = new MemoryBudget(undefined, undefined, opts.memoryPool);
  const control = new RunControl(opts.signal, undefined);
  let sources: Awaited<ReturnType<typeof openSources>>;
  try {
    sources = await openSources(opts.steps, opts.input, opts.files, budget);
  } catch (e) {
    budget.close();
    throw e;
  }
  const captures: Array<Map<string, Capture>> = opts.steps.map(() => new Map());
  try {
    const observe = (step: number, sheet: string, target: Port | SheetGroup) => {
      if (target instanceof Port) {
        const c = new Capture(limit);
        captures[step]!.set(sheet, c);
        target.attach(c);
      } else {
        target.subscribe(
          () => true,
          (name) => {
            const c = new Capture(limit);
            captures[step]!.set(name, c);
            return c;
          },
        );
      }
    };
    // Output steps write nothing; their figures are the rows their artifacts would get, as a run's are.
    const output: GraphDeps['output'] = (plans, entries, step) => countOutputs(plans, entries, graph.stats[step]!);
    const graph: RunGraph = new RunGraph({ modules: MODULES, input: sources.main, files: sources.files, control, budget, limits: { limit }, observe, output });
    graph.plan(opts.steps);
    await graph.execute();
    return {
      steps: opts.steps.map((s, index) => ({
        index,
        type: s.type,
        rowsIn: graph.stats[index]?.rowsIn ?? 0,
        rowsOut: graph.stats[index]?.rowsOut ?? 0,
        sheets: Object.fromEntries([...captures[index]!].map(([name, c]) => [name, c.sheet])),
      })),
    };
  } finally {
    await sources.close();
    budget.close();
  }
}
