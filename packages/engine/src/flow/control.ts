import { EngineError } from '../errors.js';

export type Phase = 'READING' | 'TRANSFORMING' | 'VALIDATING' | 'WRITING';
export type ProgressFn = (p: { phase: Phase; rowsProcessed: number; percent?: number }) => void;

/**
 * What a pass (the push of one source's rows through the graph) checks between chunks: cancellation and the
 * back-pressure of the writers. Row handlers are synchronous for speed; a writer whose stream is full
 * registers the promise of its 'drain' here and the pass awaits it before pushing the next chunk.
 */
export class RunControl {
  private waits: Array<Promise<unknown>> = [];
  private lastProgress = 0;
  phase: Phase = 'READING';

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly onProgress: ProgressFn | undefined,
  ) {}

  throwIfAborted(): void {
    if (this.signal?.aborted) throw new EngineError('CANCELLED', 'the run was cancelled');
  }

  waitFor(p: Promise<unknown>): void {
    this.waits.push(p);
  }

  async checkpoint(): Promise<void> {
    this.throwIfAborted();
    while (this.waits.length) {
      const w = this.waits;
      this.waits = [];
      await this.abortable(Promise.all(w));
    }
  }

  /** Rejects with CANCELLED as soon as the signal fires, even while waiting on a stalled stream. */
  abortable<T>(p: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (!signal) return p;
    this.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new EngineError('CANCELLED', 'the run was cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  progress(phase: Phase, rowsProcessed: number, percent?: number, force = false): void {
    this.phase = phase;
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    const p: { phase: Phase; rowsProcessed: number; percent?: number } = { phase, rowsProcessed };
    if (percent !== undefined) p.percent = Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
    this.onProgress(p);
  }
}
