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
  private failure: Error | null = null;
  private onFailure: Array<(e: Error) => void> = [];
  private lastProgress = 0;
  phase: Phase = 'READING';

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly onProgress: ProgressFn | undefined,
  ) {}

  throwIfAborted(): void {
    if (this.signal?.aborted) throw new EngineError('CANCELLED', 'the run was cancelled');
    if (this.failure) throw this.failure;
  }

  /**
   * Fails the run from outside a pass (a destination stream that errored): the pass stops at its next
   * checkpoint, and whatever waits through abortable() rejects at once instead of waiting for a drain that
   * will never come.
   */
  fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const f of this.onFailure) f(e);
    this.onFailure = [];
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
    this.throwIfAborted();
    const signal = this.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new EngineError('CANCELLED', 'the run was cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.onFailure.push(reject);
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        this.onFailure = this.onFailure.filter((f) => f !== reject);
      };
      p.then(
        (v) => {
          done();
          resolve(v);
        },
        (e: unknown) => {
          done();
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
