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
  /** Bytes this run holds of its pool's: given back as they are released, the rest when the run closes. */
  private pooled = 0;
  peakRows = 0;
  peakBytes = 0;

  constructor(
    readonly maxRows = DEFAULT_MAX_ROWS_IN_MEMORY,
    readonly maxBytes = DEFAULT_MAX_BYTES_IN_MEMORY,
    private pool?: MemoryPool,
  ) {}

  reserve(rows: number, bytes: number, what: string): void {
    this.rows += rows;
    this.bytes += bytes;
    if (this.rows > this.peakRows) this.peakRows = this.rows;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    // A refused reservation is not held: the counts go back to what they were.
    if (this.rows > this.maxRows) {
      this.unreserve(rows, bytes);
      throw new EngineError('TOO_LARGE', `${what} needs more than ${this.maxRows} rows in memory (limit maxRowsInMemory)`);
    }
    if (this.bytes > this.maxBytes) {
      this.unreserve(rows, bytes);
      throw new EngineError('TOO_LARGE', `${what} needs more than ${mb(this.maxBytes)} MB in memory (limit maxBytesInMemory)`);
    }
    if (this.pool && bytes > 0) {
      if (!this.pool.tryTake(bytes)) {
        this.unreserve(rows, bytes);
        throw this.pool.refusal(this.pooled, bytes, what);
      }
      this.pooled += bytes;
    }
  }

  private unreserve(rows: number, bytes: number): void {
    this.rows -= rows;
    this.bytes -= bytes;
  }

  release(rows: number, bytes: number): void {
    this.rows -= rows;
    this.bytes -= bytes;
    if (this.pool && bytes > 0) {
      const back = Math.min(bytes, this.pooled);
      this.pooled -= back;
      this.pool.give(back);
    }
  }

  /**
   * Gives the pool back whatever the run still holds of it, once the run has ended, however it ended. A
   * stopped run's steps may still be unwinding: what they reserve from now on no longer counts against it.
   */
  close(): void {
    if (this.pool && this.pooled > 0) this.pool.give(this.pooled);
    this.pooled = 0;
    this.pool = undefined;
  }

  /** The same bound, seen by one step: its TOO_LARGE errors name the step. */
  forStep(step: number): MemoryBudget {
    return new StepBudget(this, step);
  }
}

const mb = (bytes: number) => Math.round(bytes / 1048576);
const size = (bytes: number) => (bytes >= 1048576 ? `${mb(bytes)} MB` : `${bytes > 0 ? Math.max(1, Math.round(bytes / 1024)) : 0} KB`);

/**
 * What the runs of one process hold together, in MemoryBudget's estimated bytes: the bound that keeps many
 * runs at once (the executions worker's ENGINE_CONCURRENCY) from running the process out of memory, where
 * each run's own bound only keeps one run from it. A reservation that would pass it fails the run with
 * TOO_LARGE when what the run would hold passes the whole pool (it never fits this process), and otherwise with
 * BUSY: other runs hold the rest, and the run may fit later (the caller can try it again).
 */
export class MemoryPool {
  private used = 0;
  /** Wakers of the runs waiting in `released`. */
  private waiting: Array<() => void> = [];
  peakBytes = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`a memory pool needs a positive size, not ${maxBytes}`);
  }

  /** Bytes the runs hold now. */
  get usedBytes(): number {
    return this.used;
  }

  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    if (this.used > this.peakBytes) this.peakBytes = this.used;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
    if (bytes > 0 && this.waiting.length) for (const wake of this.waiting.splice(0)) wake();
  }

  /** Runs waiting (in `released`) for memory to be given back. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Resolves the next time a run gives memory back, or after `maxWaitMs` (to look again), whichever first. */
  released(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiting = this.waiting.filter((w) => w !== wake); resolve(); }, maxWaitMs);
      timer.unref?.();
      const wake = () => { clearTimeout(timer); resolve(); };
      this.waiting.push(wake);
    });
  }

  /** The error of a refused reservation of `bytes` more by a run that holds `own` bytes of the pool. */
  refusal(own: number, bytes: number, what: string): EngineError {
    const others = this.used - own;
    if (own + bytes > this.maxBytes) {
      return new EngineError('TOO_LARGE', `${what} needs more than the ${size(this.maxBytes)} of memory this process gives its runs`);
    }
    return new EngineError('BUSY', `${what} needs more memory than is free now: other runs hold ${size(others)} of the ${size(this.maxBytes)} this process gives its runs`);
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
