/** A counting semaphore shared by the partitions of one subscriber. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  acquire(): Promise<void> | void {
    if (this.free > 0) {
      this.free--;
      return;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight on, so no newcomer can overtake the queue.
    if (next) next();
    else this.free++;
  }
}

export type KeyedBatchDeps<M> = {
  keyOf(message: M): string;
  handle(message: M): Promise<void>;
  /** Marks the message done, and with it every message before it in the batch. */
  resolve(message: M): void;
  /** False once the consumer stops or the partition was taken away: nothing more starts. */
  shouldGoOn(): boolean;
  slots: Slots;
};

/**
 * Handles one partition's batch with messages of different keys in flight together and messages of one
 * key strictly in order. Offsets are resolved only up to the first message not yet done, so a crash
 * redelivers (never skips) whatever was in flight. Waits for everything it started before it returns or
 * throws: a failed message (one that could not even be dead-lettered) is thrown once the others settle,
 * and nothing after it is resolved, so the consumer comes back to it.
 */
export async function runKeyedBatch<M>(messages: M[], deps: KeyedBatchDeps<M>): Promise<void> {
  const done: boolean[] = new Array(messages.length).fill(false);
  const tails = new Map<string, Promise<void>>();
  const started: Array<Promise<void>> = [];
  let next = 0;
  let failure: { error: unknown } | undefined;

  const advance = () => {
    let last = -1;
    while (next < messages.length && done[next]) last = next++;
    if (last >= 0) deps.resolve(messages[last]!);
  };

  for (let i = 0; i < messages.length; i++) {
    if (failure || !deps.shouldGoOn()) break;
    await deps.slots.acquire();
    if (failure || !deps.shouldGoOn()) {
      deps.slots.release();
      break;
    }
    const message = messages[i]!;
    const key = deps.keyOf(message);
    const run = (tails.get(key) ?? Promise.resolve())
      .then(() => {
        // A message of the same key failed before this one: it must not overtake it.
        if (failure) throw failure.error;
        return deps.handle(message);
      })
      .then(
        () => {
          done[i] = true;
          advance();
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => deps.slots.release());
    tails.set(key, run);
    started.push(run);
  }
  await Promise.all(started);
  if (failure) throw failure.error;
}
