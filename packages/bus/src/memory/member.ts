import type { Handler } from '../types.js';

/**
 * One subscriber of a group in the in-process bus. Its gate lets at most `concurrency` of the group's
 * partition cursors run its handler at once, and `drained()` lets `stop()` wait for the ones in flight.
 */
export class Member {
  private stopping = false;
  private running = 0;
  private readonly waiting: Array<(granted: boolean) => void> = [];
  private readonly idle: Array<() => void> = [];

  constructor(
    readonly topics: ReadonlySet<string>,
    readonly handler: Handler,
    private readonly concurrency: number,
  ) {}

  /** Takes a handler slot; false once the member is stopping (the cursor then looks for another owner). */
  acquire(): Promise<boolean> | boolean {
    if (this.stopping) return false;
    if (this.running < this.concurrency) {
      this.running++;
      return true;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) return next(true); // the slot passes straight on, so no newcomer can overtake the queue
    this.running--;
    if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Pause: no new handler call starts. Resolves once the ones in flight have finished. */
  stop(): Promise<void> {
    this.stopping = true;
    for (const resolve of this.waiting.splice(0)) resolve(false);
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
