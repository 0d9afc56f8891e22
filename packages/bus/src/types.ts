import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** One message as a handler sees it. `topic` is the logical name, without the bus's topic prefix. */
export type BusMessage = {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
};

export type Handler = (msg: BusMessage) => Promise<void>;

export type OutgoingMessage = { key: string; value: Uint8Array; headers?: Record<string, string> };

export type TopicSpec = { name: string; partitions?: number };

export type SubscribeOptions = {
  topics: string[];
  groupId: string;
  /**
   * Where a group with no committed offset starts: the oldest retained message, or (default) the end of the
   * log at its first member's subscribe time. On Kafka that start is committed once the first member runs,
   * so members that join later (and take partitions over at a rebalance) start there too.
   */
  fromBeginning?: boolean;
  handler: Handler;
  /**
   * How much this subscriber handles at the same time. Default 1. With `ordering: 'partition'` (the default)
   * it counts partitions, and a partition's messages are handled one at a time. With `ordering: 'key'` it
   * counts messages in flight across all of the subscriber's partitions, and only messages of one key are
   * handled one at a time: for handlers whose work per message is long and independent between keys (a
   * run), where a partition's order would make every run wait for the ones hashed before it. In that mode
   * the next fetch does not wait for the messages in flight (kafkajs otherwise fetches again only once every
   * batch of the last fetch is done, so each new message waited for the slowest message in flight); a rebalance
   * or a crash delivers again what was in flight (see `createKeyedDispatcher`). The next fetch starts after the
   * last message started, so the messages in flight do not come back; it waits on the broker until a new one
   * arrives. Commits (on a clock, `commitIntervalMs`, never off in this mode) cover only what is done.
   */
  concurrency?: number;
  /** What must be handled in order: a whole partition (default), or each key alone (see `concurrency`). The in-process bus always orders by partition, which also orders each key. */
  ordering?: 'partition' | 'key';
  /**
   * How long the broker may hold a fetch to fill it (Kafka's fetch.max.wait.ms with a large fetch.min.bytes).
   * Under load, fewer and larger batches mean far fewer fetch and offset-commit requests (an offset commit
   * follows every batch); the price is that a lone message may wait this long, and that an idle consumer
   * fetches every window instead of every 500 ms: with a 20 ms window one idle subscriber cost the local
   * broker 100-170 CPU ms a second and its own process about 50. Default: none, a fetch returns as soon as
   * there is one message. No service uses it now (engine workers did until measured; see
   * services/executions/README.md); offset commits are what `commitIntervalMs` saves. The in-process bus has
   * no fetches and ignores it.
   */
  batchWindowMs?: number;
  /**
   * Commit offsets at most this often rather than after every batch (far fewer OffsetCommit requests on a
   * busy topic). Only handled messages are committed, and a clean stop commits what was handled; a crash or
   * a rebalance delivers up to one interval's worth again. Default: after every batch, or every 100 ms with
   * `ordering: 'key'` (where 0 also means 100 ms). Kafka only.
   */
  commitIntervalMs?: number;
};

export type Subscription = {
  /** Pause, let in-flight handlers finish, commit their offsets, then leave the group. */
  stop(): Promise<void>;
  /** Resolves once this subscriber has joined its group and has its partitions; rejects if it crashed first. */
  ready: Promise<void>;
};

export type Health = { ok: boolean; detail?: string };

/** Where a consumer group stands in one partition: the offset it reads next, and the end of the log (the next message's offset). */
export type PartitionPosition = { partition: number; next: number; end: number };

/**
 * The event bus port. Kafka and the in-process bus implement it with the same semantics (see test/contract.ts):
 * per-key order, each message once per group, at-least-once delivery, poison messages dead-lettered.
 */
export interface EventBus {
  /** Creates the topics that are missing, each with its `<name>.dlq`; topics are never auto-created. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Resolves once every message is durable (acknowledged by all in-sync replicas). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
  health(): Health;
  /**
   * Where `groupId` stands in each partition of `topic`: its committed offset (the oldest message kept when
   * it has none, or when retention removed what it had not read), and the end of the log now.
   */
  positions(groupId: string, topic: string): Promise<PartitionPosition[]>;
  /** Sets `groupId`'s committed offset (the next to read) in the given partitions of `topic`; the group must have no running member. */
  setPositions(groupId: string, topic: string, next: Array<{ partition: number; offset: number }>): Promise<void>;
  /** Messages of `topics` not yet committed by `groupId` (summed over partitions), for a lag metric; a bus that cannot tell leaves it out. */
  consumerLag?(groupId: string, topics: string[]): Promise<number>;
}

/** How a failing handler is retried before its message is dead-lettered. */
export type DlqOptions = {
  /** Handler attempts per message, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; it doubles on each retry, capped at 5 s. Default 100 ms. */
  backoffMs?: number;
};

export type CommonBusOptions = {
  /** Namespaces every topic and consumer group name on the wire (tests use one per file). */
  topicPrefix?: string;
  logger?: Logger;
  dlq?: DlqOptions;
  /** The process's Prometheus registry: the bus adds its metrics there (metrics.ts). */
  registry?: Registry;
};
