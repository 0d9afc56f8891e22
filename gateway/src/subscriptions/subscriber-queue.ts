import type { ExecutionResult } from 'graphql';

type Item = { result: ExecutionResult; coalescable: boolean; last: boolean };

/**
 * One subscription's outbox, read by graphql-ws as an async iterator. graphql-ws awaits each socket write
 * before it asks for the next result, so a slow client backs up here and nowhere else: a coalescable
 * update replaces a waiting one (latest wins), and past `limit` waiting updates the subscriber is
 * dropped (`onOverflow`) instead of growing without bound.
 */
export class SubscriberQueue implements AsyncIterableIterator<ExecutionResult> {
  private readonly items: Item[] = [];
  private waiter: ((r: IteratorResult<ExecutionResult>) => void) | undefined;
  private finished = false;
  private ending = false;

  constructor(private readonly opts: { limit: number; onOverflow: () => void; onCoalesced: () => void; onEnd: () => void }) {}

  get closed(): boolean { return this.finished || this.ending; }

  /** `last`: the subscription completes once this result is sent. */
  push(result: ExecutionResult, coalescable: boolean, last = false): void {
    if (this.closed) return;
    if (last) this.ending = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: result, done: false });
      return;
    }
    const tail = this.items[this.items.length - 1];
    if (coalescable && tail?.coalescable) {
      this.items[this.items.length - 1] = { result, coalescable, last };
      this.opts.onCoalesced();
      return;
    }
    this.items.push({ result, coalescable, last });
    if (this.items.length > this.opts.limit) {
      this.items.length = 0;
      this.opts.onOverflow();
      void this.return();
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const item = this.items.shift();
    if (item) return Promise.resolve({ value: item.result, done: false });
    if (this.closed) return this.return();
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.finished) {
      this.finished = true;
      this.items.length = 0;
      this.opts.onEnd();
      const w = this.waiter;
      this.waiter = undefined;
      w?.({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this { return this; }
}
