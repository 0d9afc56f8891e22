import { EngineError } from '../errors.js';

export const DEFAULT_MAX_ROWS_IN_MEMORY = 2_000_000;
export const DEFAULT_MAX_BYTES_IN_MEMORY = 256 * 1024 * 1024;

/**
 * The memory bound of one run. Everything the engine holds beyond a streaming window registers here:
 * rows of blocking steps (sort, aggregate groups, a lookup's build side, rows waiting for another input),
 * the keys of dedupe and unique checks, and the shared-strings table of an xlsx input. Sizes are estimates
 * of V8 heap use (see values.ts rowBytes). Passing the bound fails the run with TOO_LARGE instead of letting
 * the process run out of memory; nothing spills to disk.
 */
export class MemoryBudget {
  private rows = 0;
  private bytes = 0;
  peakRows = 0;
  peakBytes = 0;

  constructor(
    readonly maxRows = DEFAULT_MAX_ROWS_IN_MEMORY,
    readonly maxBytes = DEFAULT_MAX_BYTES_IN_MEMORY,
  ) {}

  reserve(rows: number, bytes: number, what: string): void {
    this.rows += rows;
    this.bytes += bytes;
    if (this.rows > this.peakRows) this.peakRows = this.rows;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (this.rows > this.maxRows) {
      throw new EngineError('TOO_LARGE', `${what} needs more than ${this.maxRows} rows in memory (limit maxRowsInMemory)`);
    }
    if (this.bytes > this.maxBytes) {
      const mb = Math.round(this.maxBytes / 1048576);
      throw new EngineError('TOO_LARGE', `${what} needs more than ${mb} MB in memory (limit maxBytesInMemory)`);
    }
  }

  release(rows: number, bytes: number): void {
    this.rows -= rows;
    this.bytes -= bytes;
  }

  /** The same bound, seen by one step: its TOO_LARGE errors name the step. */
  forStep(step: number): MemoryBudget {
    return new StepBudget(this, step);
  }
}

/**
 * A step's view of the run's budget. A class rather than Object.create(budget): using the run's budget as
 * a prototype turned it into a V8 prototype object and cost more per run than the small runs' rows did.
 */
class StepBudget extends MemoryBudget {
  constructor(
    private readonly run: MemoryBudget,
    private readonly step: number,
  ) {
    super(run.maxRows, run.maxBytes);
  }

  override reserve(rows: number, bytes: number, what: string): void {
    try {
      this.run.reserve(rows, bytes, what);
    } catch (e) {
      if (e instanceof EngineError) e.step = this.step;
      throw e;
    }
  }

  override release(rows: number, bytes: number): void {
    this.run.release(rows, bytes);
  }

  override forStep(step: number): MemoryBudget {
    return this.run.forStep(step);
  }
}
