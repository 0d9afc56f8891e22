import { createKafkaBus as kafkaBus } from './kafka/kafka-bus.js';
import { createMemoryBus as memoryBus } from './memory/memory-bus.js';
import { withTracing } from './tracing.js';
export type {
  BusMessage,
  CommonBusOptions,
  DlqOptions,
  EventBus,
  Handler,
  Health,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './types.js';
export { type KafkaBusOptions } from './kafka/kafka-bus.js';
export { type MemoryBusOptions } from './memory/memory-bus.js';
export { withTracing } from './tracing.js';

// Both buses carry trace context in message headers (tracing.ts); a no-op until tracing is started.
export const createKafkaBus = (...args: Parameters<typeof kafkaBus>) => withTracing(kafkaBus(...args));
export const createMemoryBus = (...args: Parameters<typeof memoryBus>) => withTracing(memoryBus(...args));
export { dlqTopic } from './names.js';
