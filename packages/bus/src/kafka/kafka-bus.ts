import { Kafka, Partitioners } from 'kafkajs';
import { pino } from 'pino';
import { DEFAULT_DLQ } from '../delivery.js';
import { namespace, withDeadLetterTopics } from '../names.js';
import type { CommonBusOptions, EventBus, OutgoingMessage, PartitionPosition, TopicSpec } from '../types.js';
import { kafkajsLevel, kafkajsLogCreator } from './kafkajs-logger.js';
import { toBuffer } from './message.js';
import { createOrderedPublisher } from './ordered-publisher.js';
import { fixRequestQueue } from './request-queue-fix.js';
import { retriable } from './retriable.js';
import { startSubscriber, type KafkaSubscription } from './kafka-subscriber.js';

export type KafkaBusOptions = CommonBusOptions & {
  brokers: string[];
  clientId: string;
  /** Partitions of a topic created without a count. Default 3. */
  partitions?: number;
  /** How long the group waits for a silent member before handing its partitions over (kafkajs default 30 s; the broker's floor is 6 s). */
  sessionTimeoutMs?: number;
};

export function createKafkaBus(opts: KafkaBusOptions): EventBus {
  fixRequestQueue();
  const logger = opts.logger ?? pino({ level: 'warn' });
  const ns = namespace(opts.topicPrefix);
  const policy = { ...DEFAULT_DLQ, ...opts.dlq };
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: kafkajsLevel(logger),
    logCreator: kafkajsLogCreator(logger),
    retry: { initialRetryTime: 100, retries: 6 },
  });
  // One request in flight keeps a retried request from overtaking the next one (per-key order).
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin = kafka.admin();
  const subscriptions = new Set<KafkaSubscription>();
  let connected: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let producerUp = false;
  producer.on(producer.events.CONNECT, () => (producerUp = true));
  producer.on(producer.events.DISCONNECT, () => (producerUp = false));

  const connect = () => (connected ??= Promise.all([producer.connect(), admin.connect()]).then(() => undefined));
  const send = createOrderedPublisher(producer);

  const publish = async (topic: string, messages: OutgoingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    await connect();
    await send(ns.wire(topic), messages.map((m) => ({ key: m.key, value: toBuffer(m.value), headers: m.headers ?? {} })));
  };

  const positions = async (groupId: string, topic: string): Promise<PartitionPosition[]> => {
    await connect();
    const wire = ns.wire(topic);
    // Retried: on a new cluster the group coordinator may still be loading.
    const [ends, [committed]] = await retriable(() => Promise.all([
      admin.fetchTopicOffsets(wire), admin.fetchOffsets({ groupId: ns.wire(groupId), topics: [wire] }),
    ]));
    return ends.map(({ partition, low, high }) => {
      // -1 when the group has committed nothing there: it would start at the oldest message kept.
      const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      return { partition, next: Math.max(offset, Number(low)), end: Number(high) };
    });
  };

  return {
    async ensureTopics(specs: TopicSpec[]) {
      await connect();
      const existing = new Set(await admin.listTopics());
      const missing = withDeadLetterTopics(specs)
        .filter((s) => !existing.has(ns.wire(s.name)))
        .map((s) => ({ topic: ns.wire(s.name), numPartitions: s.partitions ?? opts.partitions ?? 3 }));
      if (missing.length === 0) return;
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true });
      } catch (err) {
        // Another process may have created them since listTopics; anything else is a real failure.
        if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
      // Leaders are elected by now, but a partition answers only once its broker has taken the leadership
      // on: resolve when every new topic serves requests, so the caller can use it at once.
      await Promise.all(missing.map(({ topic }) => retriable(() => admin.fetchTopicOffsets(topic))));
    },

    publish,

    async subscribe(sub) {
      if (closing) throw new Error('the event bus is closed');
      await connect();
      const subscription = await startSubscriber({ kafka, admin, ns, logger, policy, publish, sessionTimeoutMs: opts.sessionTimeoutMs }, sub);
      subscriptions.add(subscription);
      return {
        ready: subscription.ready,
        stop: async () => {
          await subscription.stop();
          subscriptions.delete(subscription);
        },
      };
    },

    close() {
      closing ??= (async () => {
        // Consumers first: their in-flight handlers may still publish (a dead-letter copy) while draining.
        await Promise.all([...subscriptions].map((s) => s.stop()));
        await Promise.all([producer.disconnect(), admin.disconnect()]);
      })();
      return closing;
    },

    positions,

    async setPositions(groupId, topic, next) {
      await connect();
      await retriable(() => admin.setOffsets({
        groupId: ns.wire(groupId), topic: ns.wire(topic),
        partitions: next.map(({ partition, offset }) => ({ partition, offset: String(offset) })),
      }));
    },

    async consumerLag(groupId, topics) {
      let lag = 0;
      for (const topic of topics) for (const p of await positions(groupId, topic)) lag += Math.max(0, p.end - p.next);
      return lag;
    },

    health() {
      const failures = [...subscriptions].map((s) => s.failure()).filter((f): f is string => f !== undefined);
      if (failures.length > 0) return { ok: false, detail: failures.join('; ') };
      if (closing) return { ok: false, detail: 'closed' };
      if (connected && !producerUp) return { ok: false, detail: 'producer disconnected' };
      return { ok: true };
    },
  };
}
