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

/** What the dispatcher needs of a message: its offset in its partition and the key that orders it. */
export type KeyedMessage = { offset: string; key: string };

export type KeyedDispatcherDeps<M extends KeyedMessage> = {
  handle(topic: string, partition: number, message: M): Promise<void>;
  /** The message at `offset` and every one before it in its partition are done: the group may commit past them. */
  resolve(topic: string, partition: number, offset: string): void;
  /**
   * A failed message's lane was dropped (see the class comment): the partition must be fetched again from
   * `offset`, its first message not done.
   */
  rewind?(topic: string, partition: number, offset: string): void;
  slots: Slots;
  /** How long a failed message's partition waits before it is delivered again from that message. */
  retryAfterMs?: number;
};

type Entry = { offset: string; done: boolean };
/** One partition's messages in flight, for one group generation. */
type Lane = { upTo: bigint; queue: Entry[]; tails: Map<string, Promise<void>>; running: number; failed?: { offset: string } };

/**
 * Handles messages of many keys at once, in as many slots as it has, one at a time per key, without holding
 * up the consumer's next fetch: `dispatch` returns once every new message of a batch has a slot, not once
 * they are done. The consumer then fetches on from `position`, the last message started, so the messages in
 * flight are not fetched again; should a fetch bring some back all the same (a seek, a rebalance), each lane
 * remembers the highest offset it dispatched and skips them.
 *
 * Offsets are resolved (for commit) only up to the first message not yet done, so a crash or a rebalance
 * redelivers (never skips) whatever was in flight. A message whose handler failed (it could not even be
 * dead-lettered) stops its lane: nothing after it is resolved or dispatched, and once the lane's other
 * messages settle and `retryAfterMs` passed, the lane is dropped and `rewind` names its first message not
 * done, from which the consumer fetches again, so that message and everything after it are delivered again.
 *
 * A rebalance (`reset`) drops every lane: the new generation's fetches start from the committed offsets and
 * dispatch afresh (the consumer starts nothing from a batch fetched before: batch-generation.ts), and the old lanes' handlers finish without resolving anything (their messages are
 * delivered again; handlers are idempotent, as everywhere on the bus).
 */
export function createKeyedDispatcher<M extends KeyedMessage>(deps: KeyedDispatcherDeps<M>) {
  const retryAfterMs = deps.retryAfterMs ?? 1_000;
  let lanes = new Map<string, Lane>();
  const running = new Set<Promise<void>>();
  // Failed lanes waiting to be dropped and rewound; cleared by close().
  const rewinds = new Set<NodeJS.Timeout>();
  let progress: Array<() => void> = [];
  const laneKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

  const notify = () => {
    const waiting = progress;
    progress = [];
    for (const wake of waiting) wake();
  };

  /** Resolves the done prefix of the lane, if the lane is still current. */
  function advance(topic: string, partition: number, lane: Lane): void {
    let last: string | undefined;
    while (lane.queue.length && lane.queue[0]!.done) last = lane.queue.shift()!.offset;
    if (last !== undefined && lanes.get(laneKey(topic, partition)) === lane) deps.resolve(topic, partition, last);
  }

  function settled(topic: string, partition: number, lane: Lane): void {
    lane.running--;
    notify();
    if (lane.failed && lane.running === 0) {
      // Dropped after a pause, so a failure that persists (Kafka away even for the dead-letter topic) is not
      // retried in a tight loop; meanwhile the lane dispatches nothing.
      const timer: NodeJS.Timeout = setTimeout(() => {
        rewinds.delete(timer);
        const key = laneKey(topic, partition);
        if (lanes.get(key) !== lane) return;
        lanes.delete(key);
        // The failed message is not done, so the queue still holds it: its head is the first message not done.
        deps.rewind?.(topic, partition, lane.queue[0]?.offset ?? lane.failed!.offset);
      }, retryAfterMs);
      timer.unref();
      rewinds.add(timer);
    }
  }

  return {
    /**
     * Starts the messages of a partition's batch that this lane has not started yet, each once a slot is
     * free, and answers how many it started. `goOn` false (the consumer stops, the batch is stale) starts
     * nothing more.
     */
    async dispatch(topic: string, partition: number, messages: M[], goOn: () => boolean): Promise<number> {
      const key = laneKey(topic, partition);
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { upTo: -1n, queue: [], tails: new Map(), running: 0 }));
      let started = 0;
      for (const message of messages) {
        const offset = BigInt(message.offset);
        if (offset <= lane.upTo) continue;
        if (lane.failed || !goOn()) break;
        await deps.slots.acquire();
        if (lanes.get(key) !== lane || lane.failed || !goOn()) {
          deps.slots.release();
          break;
        }
        lane.upTo = offset;
        const entry: Entry = { offset: message.offset, done: false };
        lane.queue.push(entry);
        lane.running++;
        const current = lane;
        const run: Promise<void> = (current.tails.get(message.key) ?? Promise.resolve())
          .then(() => {
            // An earlier message failed: this one waits for the lane to be delivered again, in order.
            if (current.failed) throw new Error('an earlier message of the partition failed');
            return deps.handle(topic, partition, message);
          })
          .then(
            () => {
              entry.done = true;
              // Never past a failed message: it is not done.
              advance(topic, partition, current);
            },
            () => {
              current.failed ??= { offset: message.offset };
            },
          )
          .finally(() => {
            deps.slots.release();
            if (current.tails.get(message.key) === run) current.tails.delete(message.key);
            running.delete(run);
            settled(topic, partition, current);
          });
        current.tails.set(message.key, run);
        running.add(run);
        started++;
      }
      return started;
    },
    /**
     * The offset of the partition's last message started in this generation (undefined when none was): the
     * consumer's next fetch of the partition may start after it.
     */
    position(topic: string, partition: number): string | undefined {
      const lane = lanes.get(laneKey(topic, partition));
      return lane && lane.upTo >= 0n ? lane.upTo.toString() : undefined;
    },
    /** Resolves at the next message done anywhere in this subscriber, or after `ms`: what a batch of nothing new waits. */
    progress(ms: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        progress.push(() => { clearTimeout(timer); resolve(); });
      });
    },
    /** The subscriber stopped: no failed lane is rewound any more (its next owner starts from the last commit). */
    close(): void {
      for (const timer of rewinds) clearTimeout(timer);
      rewinds.clear();
      lanes = new Map();
    },
    /** A new group generation: forget every lane (what is in flight finishes but resolves nothing). */
    reset(): void {
      lanes = new Map();
    },
    /** Messages in flight. */
    get running(): number {
      return running.size;
    },
    /** Waits for every message in flight, those dispatched meanwhile included. */
    async drain(): Promise<void> {
      while (running.size) await Promise.allSettled([...running]);
    },
  };
}
export type KeyedDispatcher<M extends KeyedMessage> = ReturnType<typeof createKeyedDispatcher<M>>;
