import { pino } from 'pino';
import { deliver, DEFAULT_DLQ } from '../delivery.js';
import { withDeadLetterTopics } from '../names.js';
import type { CommonBusOptions, EventBus, OutgoingMessage, SubscribeOptions, Subscription, TopicSpec } from '../types.js';
import { MemoryGroup } from './group.js';
import { Member } from './member.js';
import { PartitionLog } from './partition-log.js';
import { partitionFor } from './partitioner.js';

export type MemoryBusOptions = CommonBusOptions & {
  /** Partitions of a topic created without a count. Default 3. */
  partitions?: number;
  /** Messages kept per partition of a topic that no group reads. Default 10,000. */
  retention?: number;
};

/**
 * The in-process event bus of the embedded mode: the same contract as Kafka (per-key order, each message
 * once per group, commit after the handler, dead-lettering) without a broker. Nothing survives the process;
 * `topicPrefix` is accepted for parity but an in-process bus is private to its instance anyway.
 */
export function createMemoryBus(opts: MemoryBusOptions = {}): EventBus {
  const logger = opts.logger ?? pino({ level: 'warn' });
  const policy = { ...DEFAULT_DLQ, ...opts.dlq };
  const topics = new Map<string, PartitionLog[]>();
  const groups = new Map<string, MemoryGroup>();
  const subscriptions = new Set<Subscription>();
  // While closing, in-flight handlers may still publish (a dead-letter copy, a follow-up event).
  let closing: Promise<void> | undefined;
  let closed = false;

  const logsOf = (topic: string): PartitionLog[] => {
    const logs = topics.get(topic);
    if (!logs) throw new Error(`unknown topic "${topic}": create it with ensureTopics (auto-creation is off)`);
    return logs;
  };

  const publish = async (topic: string, messages: OutgoingMessage[]): Promise<void> => {
    if (closed) throw new Error('the event bus is closed');
    const logs = logsOf(topic);
    const timestamp = Date.now();
    for (const m of messages) {
      const partition = partitionFor(m.key, logs.length);
      // Copied, so that a caller reusing its buffer cannot change a message already published.
      const value = Buffer.from(m.value);
      logs[partition]!.append({ topic, partition, key: m.key, value, headers: { ...m.headers }, timestamp });
    }
  };

  const groupDeps = {
    logsOf,
    logger,
    retryDelayMs: policy.backoffMs,
    deliver: (msg: Parameters<typeof deliver>[0], handler: Parameters<typeof deliver>[1]) =>
      deliver(msg, handler, { policy, logger, publish }),
  };

  return {
    async ensureTopics(specs: TopicSpec[]) {
      for (const { name, partitions } of withDeadLetterTopics(specs)) {
        if (topics.has(name)) continue;
        const count = partitions ?? opts.partitions ?? 3;
        topics.set(name, Array.from({ length: count }, () => new PartitionLog(opts.retention ?? 10_000)));
      }
    },

    publish,

    async subscribe(sub: SubscribeOptions) {
      if (closing) throw new Error('the event bus is closed');
      for (const topic of sub.topics) logsOf(topic);
      let group = groups.get(sub.groupId);
      if (!group) groups.set(sub.groupId, (group = new MemoryGroup(groupDeps)));
      const member = new Member(new Set(sub.topics), sub.handler, Math.max(1, sub.concurrency ?? 1));
      group.join(member, sub.fromBeginning ?? false);
      let stopping: Promise<void> | undefined;
      const subscription: Subscription = {
        ready: Promise.resolve(),
        stop() {
          stopping ??= (async () => {
            group.leave(member);
            // Offsets move only after a handler is done, so once the in-flight ones finish, all is committed.
            await member.stop();
            subscriptions.delete(subscription);
          })();
          return stopping;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...subscriptions].map((s) => s.stop()));
        for (const group of groups.values()) group.close();
        closed = true;
      })();
      return closing;
    },

    async positions(groupId, topic) {
      const group = groups.get(groupId);
      return logsOf(topic).map((log, partition) => ({
        partition,
        next: Math.max(group?.position(topic, partition) ?? log.start, log.start),
        end: log.end,
      }));
    },

    async setPositions(groupId, topic, next) {
      const group = groups.get(groupId);
      if (!group) throw new Error(`unknown consumer group "${groupId}"`);
      for (const { partition, offset } of next) group.seek(topic, partition, offset);
    },

    health() {
      return closed ? { ok: false, detail: 'closed' } : { ok: true };
    },
  };
}
