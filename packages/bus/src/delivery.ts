import type { Logger } from 'pino';
import { dlqTopic, isDlqTopic } from './names.js';
import type { BusMessage, DlqOptions, Handler, OutgoingMessage } from './types.js';

export const DEFAULT_DLQ: Required<DlqOptions> = { maxAttempts: 5, backoffMs: 100 };
const MAX_BACKOFF_MS = 5_000;
const MAX_ERROR_HEADER_CHARS = 2_000;

export type DeliveryDeps = {
  policy: Required<DlqOptions>;
  logger: Logger;
  /** Publishes to a logical topic; used for the dead-letter copy. */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Called between attempts, so a long retry does not cost the consumer its group membership. */
  keepAlive?: () => Promise<void>;
};

/**
 * Runs the handler until it succeeds or `maxAttempts` is spent, then dead-letters the message. When this
 * resolves the message is done with and its offset may be committed; when it rejects (the dead-letter
 * publish failed) the offset must not be committed, so the message comes back.
 *
 * A message that keeps failing is moved aside rather than retried forever because per-key order means
 * everything behind it in its partition waits: one poison message must not stop a partition.
 */
export async function deliver(msg: BusMessage, handler: Handler, deps: DeliveryDeps): Promise<void> {
  const { maxAttempts, backoffMs } = deps.policy;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      await handler(msg);
      return;
    } catch (err) {
      lastError = err;
      const where = { topic: msg.topic, partition: msg.partition, offset: msg.offset, attempt, err };
      if (attempt === maxAttempts) break;
      deps.logger.warn(where, 'event handler failed, retrying');
      await sleep(Math.min(backoffMs * 2 ** (attempt - 1), Math.max(backoffMs, MAX_BACKOFF_MS)));
      await deps.keepAlive?.();
    }
  }
  const where = { topic: msg.topic, partition: msg.partition, offset: msg.offset, attempts: maxAttempts, err: lastError };
  if (isDlqTopic(msg.topic)) {
    // A dead-letter topic has no dead-letter topic of its own: dropping is the only way to keep it moving.
    deps.logger.error(where, 'dead-lettered event failed again, dropped');
    return;
  }
  await deps.publish(dlqTopic(msg.topic), [deadLetter(msg, lastError)]);
  deps.logger.error(where, 'event handler kept failing, message dead-lettered');
}

/** The dead-letter copy: same key, value and headers, plus where it came from and why it failed. */
export function deadLetter(msg: BusMessage, error: unknown): OutgoingMessage {
  return {
    key: msg.key,
    value: msg.value,
    headers: {
      ...msg.headers,
      'x-error': describe(error).slice(0, MAX_ERROR_HEADER_CHARS),
      'x-original-topic': msg.topic,
      'x-original-partition': String(msg.partition),
      'x-original-offset': msg.offset,
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
