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
export { createKafkaBus, type KafkaBusOptions } from './kafka/kafka-bus.js';
export { createMemoryBus, type MemoryBusOptions } from './memory/memory-bus.js';
export { dlqTopic } from './names.js';
