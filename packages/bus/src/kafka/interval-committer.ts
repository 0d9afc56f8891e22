import type { Logger } from 'pino';

export type PartitionOffset = { topic: string; partition: number; offset: string };

/**
 * Offset commits on a clock instead of after every batch, for subscriptions with `commitIntervalMs`. kafkajs
 * commits after each partition's batch, so a busy consumer sends about as many OffsetCommit requests as it
 * fetches batches; here a consumer commits what its handlers finished at most once per interval.
 *
 * Only handled messages are committed (`mark` follows the handler), so the offset still never passes a
 * message whose effect is not durable. What a crash or a rebalance leaves uncommitted, at most one
 * interval's worth, is delivered again (at-least-once, as everywhere on the bus). `drain` is the clean
 * stop: no handler starts after it, the running ones finish, and what they finished is committed before
 * the consumer leaves its group.
 */
export function createIntervalCommitter(deps: {
  intervalMs: number;
  commit(offsets: PartitionOffset[]): Promise<void>;
  logger: Logger;
}) {
  const pending = new Map<string, PartitionOffset>();
  let running = 0;
  let stopping = false;
  let idle: (() => void) | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

  const flush = (): Promise<void> => (flushing = flushing.then(async () => {
    if (!pending.size) return;
    const offsets = [...pending.values()];
    pending.clear();
    try {
      await deps.commit(offsets);
    } catch (err) {
      // A rebalance in progress, or the coordinator away: keep them for the next try unless newer ones came.
      for (const o of offsets) if (!pending.has(keyOf(o.topic, o.partition))) pending.set(keyOf(o.topic, o.partition), o);
      deps.logger.warn({ err, partitions: offsets.length }, 'offset commit failed; will retry');
    }
  }));
  const timer = setInterval(() => void flush(), deps.intervalMs);
  timer.unref();

  return {
    /** Before a handler runs: false once draining (the message is then left for whoever comes next). */
    begin(): boolean {
      if (stopping) return false;
      running++;
      return true;
    },
    end(): void {
      running--;
      if (running === 0) idle?.();
    },
    /** The message at `offset` and all before it in its partition are handled: the group may move past them. */
    mark(topic: string, partition: number, offset: string): void {
      pending.set(keyOf(topic, partition), { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    },
    /** After a rebalance: forget partitions this member no longer owns; their new owner starts from the last commit. */
    retain(assignment: Record<string, number[]>): void {
      for (const [key, o] of pending) if (!assignment[o.topic]?.includes(o.partition)) pending.delete(key);
    },
    get stopping() { return stopping; },
    async drain(): Promise<void> {
      stopping = true;
      clearInterval(timer);
      if (running > 0) await new Promise<void>((resolve) => (idle = resolve));
      // A keyed batch marks its finished prefix in the promise callbacks that follow its handlers: let them run.
      await new Promise((resolve) => setImmediate(resolve));
      await flush();
    },
  };
}
export type IntervalCommitter = ReturnType<typeof createIntervalCommitter>;
