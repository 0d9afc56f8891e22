import { context, propagation, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { EventBus, Handler, OutgoingMessage } from './types.js';

const tracer = () => trace.getTracer('rowline');

/**
 * Trace context across the bus, in W3C `traceparent`/`tracestate` message headers: `publish` makes a
 * producer span (the child of a traceparent the message already carries, as an outbox row written in the
 * request does, else of the active span) and stamps its context on each message; a subscriber's handler
 * runs in a consumer span that continues the message's trace. Without a registered tracer provider every
 * span is a no-op and the headers are left as they were.
 */
export function withTracing(bus: EventBus): EventBus {
  return {
    ensureTopics: (topics) => bus.ensureTopics(topics),
    close: () => bus.close(),
    health: () => bus.health(),
    positions: (groupId, topic) => bus.positions(groupId, topic),
    setPositions: (groupId, topic, next) => bus.setPositions(groupId, topic, next),
    // Optional capabilities pass through untouched (the executions metrics read the engine workers' lag).
    ...(bus.consumerLag ? { consumerLag: (groupId: string, topics: string[]) => bus.consumerLag!(groupId, topics) } : {}),
    async publish(topic, messages) {
      // Messages that already carry a trace (outbox rows, written in the request or run they belong to) keep
      // it: a relay batch mixes runs. The span continues their trace when they share one, else links them.
      const carried = [...new Set(messages.map((m) => m.headers?.traceparent).filter((t): t is string => Boolean(t)))];
      const contexts = carried.map((traceparent) => propagation.extract(context.active(), { traceparent }));
      const parent = contexts.length === 1 ? contexts[0]! : context.active();
      const links = contexts.length > 1 ? contexts.flatMap((c) => { const sc = trace.getSpanContext(c); return sc ? [{ context: sc }] : []; }) : [];
      return tracer().startActiveSpan(`${topic} publish`, {
        kind: SpanKind.PRODUCER, links,
        attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.operation.type': 'send', 'messaging.batch.message_count': messages.length },
      }, parent, async (span) => {
        try {
          return await bus.publish(topic, messages.map((m) => stamp(m, context.active())));
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      });
    },
    subscribe(opts) {
      const handler: Handler = (msg) => tracer().startActiveSpan(`${msg.topic} process`, {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka', 'messaging.destination.name': msg.topic, 'messaging.operation.type': 'process',
          'messaging.consumer.group.name': opts.groupId, 'messaging.destination.partition.id': String(msg.partition),
          'messaging.kafka.offset': Number(msg.offset), 'messaging.kafka.message.key': msg.key,
        },
      }, propagation.extract(context.active(), msg.headers), async (span) => {
        try {
          await opts.handler(msg);
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      });
      return bus.subscribe({ ...opts, handler });
    },
  };
}

function stamp(message: OutgoingMessage, ctx: Context): OutgoingMessage {
  if (message.headers?.traceparent) return message;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (!carrier.traceparent) return message;
  return { ...message, headers: { ...message.headers, ...carrier } };
}
