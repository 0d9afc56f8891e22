import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { deliver } from '../delivery.js';
import type { Namespace } from '../names.js';
import type { DlqOptions, OutgoingMessage, SubscribeOptions, Subscription } from '../types.js';
import { isCurrentBatch, tagBatchGenerations } from './batch-generation.js';
import { rejoinAsSameMember } from './member-rejoin.js';
import { createIntervalCommitter } from './interval-committer.js';
import { createKeyedDispatcher, Slots, type KeyedDispatcher } from './keyed-batch.js';
import { toBusMessage } from './message.js';
import { latestForUncommitted, partitionKey } from './start-offsets.js';

/** The bounds of a keyed subscriber's wait after a fetch that brought nothing new (see `quietWait`). */
const QUIET_WAIT_MIN_MS = 10;
const QUIET_WAIT_MAX_MS = 100;

export type SubscriberDeps = {
  kafka: Kafka;
  admin: Admin;
  ns: Namespace;
  logger: Logger;
  policy: Required<DlqOptions>;
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  sessionTimeoutMs?: number;
};

/** How often a keyed subscriber without `commitIntervalMs` commits what its handlers finished. */
const KEYED_COMMIT_INTERVAL_MS = 100;

/** What a fetch with a batch window waits to fill: a few hundred small events. */
const BATCH_MIN_BYTES = 64 * 1024;

export type KafkaSubscription = Subscription & { failure(): string | undefined };
type KeyedKafkaMessage = { offset: string; key: string; message: KafkaMessage };

/**
 * One kafkajs consumer in its group. Offsets are auto-committed by kafkajs, but only for messages whose
 * `eachMessage` returned: that is, after the handler resolved or the message was dead-lettered. A crash in
 * between means redelivery, never loss (at-least-once).
 */
export async function startSubscriber(deps: SubscriberDeps, sub: SubscribeOptions): Promise<KafkaSubscription> {
  const { ns, logger } = deps;
  tagBatchGenerations();
  rejoinAsSameMember();
  const groupId = ns.wire(sub.groupId);
  const topics = sub.topics.map((t) => ns.wire(t));
  const fromBeginning = sub.fromBeginning ?? false;
  const starts = fromBeginning ? new Map<string, string>() : await latestForUncommitted(deps.admin, groupId, topics);

  const consumer = deps.kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // An idle fetch returns after this long; `stop()` may have to wait for one. With a batch window, a
    // fetch waits that long for BATCH_MIN_BYTES (a busy topic fills it sooner).
    ...(sub.batchWindowMs ? { maxWaitTimeInMs: sub.batchWindowMs, minBytes: BATCH_MIN_BYTES } : { maxWaitTimeInMs: 500 }),
    // A member learns of a rebalance at its next heartbeat: when a subscriber joins or leaves, the others
    // hand over their partitions within a second rather than three.
    heartbeatInterval: 1_000,
    ...(deps.sessionTimeoutMs ? { sessionTimeout: deps.sessionTimeoutMs } : {}),
  });
  let failure: string | undefined;
  let joined = false;
  let settle: { resolve(): void; reject(err: Error): void } | undefined;
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => undefined);

  // Keyed subscribers always commit on a clock, only what is done: kafkajs's own position runs ahead to the last
  // message started (see eachBatch), which kafkajs's auto-commit would commit. So 0 does not turn it off for them.
  const commitIntervalMs = sub.ordering === 'key' ? sub.commitIntervalMs || KEYED_COMMIT_INTERVAL_MS : sub.commitIntervalMs;
  const committer = commitIntervalMs
    ? createIntervalCommitter({ intervalMs: commitIntervalMs, logger, commit: (offsets) => consumer.commitOffsets(offsets) })
    : undefined;
  /** With `ordering: 'key'` (which always has a committer, so its `stopping` says when stop() began): what runs the handlers, beside kafkajs's fetches. */
  let dispatcher: KeyedDispatcher<KeyedKafkaMessage> | undefined;
  // The partitions of the member's current generation.
  let assignment: Record<string, number[]> = {};
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assignment = payload.memberAssignment;
    committer?.retain(payload.memberAssignment);
    dispatcher?.reset();
    if (joined) return;
    joined = true;
    // Only at the first join: later, another member may have committed past the end we looked up.
    const pinned: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
      for (const partition of partitions) {
        const offset = starts.get(partitionKey(topic, partition));
        if (offset === undefined) continue;
        consumer.seek({ topic, partition, offset });
        pinned.push({ topic, partition, offset });
      }
    }
    // Committed as well, once the consumer runs (kafkajs drops a commit made before): a partition this member
    // has not committed yet may move to a member that joins later, which would otherwise start it at the end
    // of the log as it is then, skipping what this member had not handled yet.
    if (pinned.length) {
      const off = consumer.on(consumer.events.FETCH_START, () => {
        off();
        consumer.commitOffsets(pinned).catch((err: unknown) => logger.warn({ err, groupId }, 'start offsets not committed'));
      });
    }
    settle?.resolve();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, groupId, restart: payload.restart }, 'kafka consumer crashed');
    if (payload.restart) return;
    failure = `consumer of group ${sub.groupId} crashed: ${payload.error.message}`;
    settle?.reject(payload.error);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    const deliverOne = (msg: ReturnType<typeof toBusMessage>, heartbeat: () => Promise<void>) =>
      deliver(msg, sub.handler, { policy: deps.policy, logger, publish: deps.publish, keepAlive: heartbeat });
    /**
     * Runs one message's handler, and with interval commits, accounts for it. A draining consumer skips it: a
     * keyed one by failing it (`keyed`), since its dispatcher would take a return for done and commit past it.
     */
    const handleOne = async (topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>, mark: boolean, keyed = false) => {
      if (!committer) return deliverOne(toBusMessage(ns.logical(topic), partition, message), heartbeat);
      if (!committer.begin()) {
        if (keyed) throw new Error('the subscriber is stopping: the message is left for the next member');
        return;
      }
      try {
        await deliverOne(toBusMessage(ns.logical(topic), partition, message), heartbeat);
        if (mark) committer.mark(topic, partition, message.offset);
      } finally {
        committer.end();
      }
    };
    const autoCommit = !committer;
    if (sub.ordering === 'key') {
      const slots = new Slots(sub.concurrency ?? 1);
      // The member's heartbeat (the same function whichever batch handed it over).
      let heartbeat: () => Promise<void> = async () => undefined;
      dispatcher = createKeyedDispatcher<KeyedKafkaMessage>({
        slots,
        handle: (topic, partition, m) => handleOne(topic, partition, m.message, heartbeat, false, true),
        // Done: committed on the committer's clock. (kafkajs's own position is the last message started; see eachBatch.)
        resolve: (topic, partition, offset) => committer?.mark(topic, partition, offset),
        // A failed message is fetched again: a pending seek also makes the partition's current batch stale. Only
        // while the partition is still this member's (kafkajs would keep a seek of another's until it came back,
        // and rewind it then); and a consumer that crashed or stopped meanwhile refuses seeks, and starts again
        // from the last commit anyway. (A rebalance between this seek and the next fetch leaves it parked the
        // same way: rare, and then at worst a redelivery of what was done.)
        rewind: (topic, partition, offset) => {
          if (!assignment[topic]?.includes(partition)) return;
          try {
            consumer.seek({ topic, partition, offset });
          } catch (err) {
            logger.warn({ err, topic, partition, offset }, 'failed message not rewound; it comes back from the last commit');
          }
        },
      });
      const keyed = dispatcher;
      // How long a fetch that started nothing waits for a message to finish before the next fetch (see
      // below): short at first, doubling (to 100 ms) while nothing starts.
      let quietWait = QUIET_WAIT_MIN_MS;
      await consumer.run({
        autoCommit,
        // Every assigned partition may have messages in flight; the slots bound the total.
        partitionsConsumedConcurrently: Math.max(1, sub.concurrency ?? 1),
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat: beatOnce, isRunning, isStale }) => {
          heartbeat = beatOnce;
          // A batch fetched before the member last rejoined its group (several brokers: see batch-generation.ts)
          // starts nothing and moves no offset: its offsets follow lanes the rejoin dropped, past messages
          // still in flight. The partition is fetched again from where this generation starts.
          if (!isCurrentBatch(batch)) return;
          const current = () => isCurrentBatch(batch) && !isStale();
          // Waiting for a slot can take as long as a handler runs: heartbeat meanwhile, so the member keeps its place.
          const beat = setInterval(() => void beatOnce().catch(() => undefined), 1_000);
          try {
            const messages = batch.messages.map((message) => ({ offset: message.offset, key: message.key?.toString('utf8') ?? '', message }));
            const started = await keyed.dispatch(batch.topic, batch.partition, messages,
              () => isRunning() && current() && !committer?.stopping);
            // The next fetch starts after the last message started, not after the last one done (what is
            // committed): fetching the runs in flight again on every fetch cost the worker and the broker
            // one fetch per finished run, each bringing back every run still in flight. A fetch of nothing
            // new now waits on the broker (maxWaitTimeInMs) until a request arrives.
            const position = keyed.position(batch.topic, batch.partition);
            if (started && position !== undefined && isRunning() && current()) resolveOffset(position);
            // Nothing started (the subscriber is stopping, or a failed lane waits to be fetched again): wait for
            // one to finish, or a fetch window,
            // before the next fetch, or the consumer would fetch the same messages in a tight loop. A request
            // arriving meanwhile waits for that too, so the wait starts short.
            if (started) quietWait = QUIET_WAIT_MIN_MS;
            else {
              await keyed.progress(sub.batchWindowMs ?? quietWait);
              quietWait = Math.min(quietWait * 2, QUIET_WAIT_MAX_MS);
            }
          } finally {
            clearInterval(beat);
          }
        },
      });
    } else {
      await consumer.run({
        autoCommit,
        partitionsConsumedConcurrently: Math.max(1, sub.concurrency ?? 1),
        eachMessage: async ({ topic, partition, message, heartbeat }) => {
          await handleOne(topic, partition, message, heartbeat, true);
        },
      });
    }
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    ready,
    failure: () => failure,
    // kafkajs's disconnect is the whole shutdown: it stops fetching, waits for the messages in flight,
    // commits what they resolved, leaves the group (so the partitions move on at once) and disconnects.
    // With interval commits, the handlers in flight finish and their offsets are committed first, while the
    // consumer is still a member that may commit.
    stop: () => (stopping ??= (async () => {
      await committer?.drain();
      await dispatcher?.drain();
      dispatcher?.close();
      await consumer.disconnect();
      settle?.reject(new Error('stopped before joining'));
    })()),
  };
}
