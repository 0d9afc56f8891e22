import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventBus, Handler } from './types.js';

/** Header values become label values only when they look like an event type: labels must stay few. */
const eventType = (value: string | undefined) => (value && /^[A-Za-z][A-Za-z0-9_.]{0,39}$/.test(value) ? value : 'other');

/**
 * Prometheus metrics of a bus, on the process's registry: what was published (by topic and `event-type`
 * header: run outcomes are `executions.events` with `succeeded`/`failed`), what each consumer group
 * processed and how long a handler took (for the engine workers, the length of a run). Topics are the
 * logical names, without the deployment's prefix. Dead letters are counted by the brokers' offsets of the
 * `.dlq` topics (the Kafka exporter), which also sees those written by any other client.
 */
export function withMetrics(bus: EventBus, registry: Registry): EventBus {
  const published = new Counter({
    name: 'rowline_bus_messages_published_total', help: 'Messages published, by topic and event type',
    labelNames: ['topic', 'event_type'] as const, registers: [registry],
  });
  const processed = new Counter({
    name: 'rowline_bus_messages_processed_total', help: 'Message handler runs, by topic, consumer group and outcome',
    labelNames: ['topic', 'group', 'outcome'] as const, registers: [registry],
  });
  const seconds = new Histogram({
    name: 'rowline_bus_message_processing_seconds', help: 'Time a handler took for one message',
    labelNames: ['topic', 'group'] as const, registers: [registry],
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600],
  });
  return {
    ensureTopics: (topics) => bus.ensureTopics(topics),
    close: () => bus.close(),
    health: () => bus.health(),
    positions: (groupId, topic) => bus.positions(groupId, topic),
    setPositions: (groupId, topic, next) => bus.setPositions(groupId, topic, next),
    // Optional capabilities pass through untouched (the executions metrics read the engine workers' lag).
    ...(bus.consumerLag ? { consumerLag: (groupId: string, topics: string[]) => bus.consumerLag!(groupId, topics) } : {}),
    async publish(topic, messages) {
      await bus.publish(topic, messages);
      for (const m of messages) published.inc({ topic, event_type: eventType(m.headers?.['event-type']) });
    },
    subscribe(opts) {
      const handler: Handler = async (msg) => {
        const end = seconds.startTimer({ topic: msg.topic, group: opts.groupId });
        try {
          await opts.handler(msg);
          processed.inc({ topic: msg.topic, group: opts.groupId, outcome: 'ok' });
        } catch (err) {
          processed.inc({ topic: msg.topic, group: opts.groupId, outcome: 'error' });
          throw err;
        } finally {
          end();
        }
      };
      return bus.subscribe({ ...opts, handler });
    },
  };
}
