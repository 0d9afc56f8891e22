import { createKafkaBus as kafkaBus } from './kafka/kafka-bus.js';
import { createMemoryBus as memoryBus } from './memory/memory-bus.js';
import { withMetrics } from './metrics.js';
import { withTracing } from './tracing.js';
import type { CommonBusOptions, EventBus } from './types.js';
export type {
  BusMessage,
  CommonBusOptions,
  DlqOptions,
  EventBus,
  Handler,
  Health,
  OutgoingMessage,
  PartitionPosition,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './types.js';
export { type KafkaBusOptions } from './kafka/kafka-bus.js';
export { type MemoryBusOptions } from './memory/memory-bus.js';
export { withTracing } from './tracing.js';

export { withMetrics } from './metrics.js';

// Both buses carry trace context in message headers (tracing.ts; a no-op until tracing is started) and,
// given the process's registry, count what they publish and process (metrics.ts).
const instrument = (bus: EventBus, opts: CommonBusOptions) => withTracing(opts.registry ? withMetrics(bus, opts.registry) : bus);
export const createKafkaBus = (opts: Parameters<typeof kafkaBus>[0]) => instrument(kafkaBus(opts), opts);
export const createMemoryBus = (opts: Parameters<typeof memoryBus>[0] = {}) => instrument(memoryBus(opts), opts);
export { dlqTopic } from './names.js';
export { replayDeadLetters, type ReplayOptions } from './replay.js';
