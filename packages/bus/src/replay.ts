import { dlqTopic } from './names.js';
import type { EventBus } from './types.js';

const DEAD_LETTER_HEADERS = ['x-error', 'x-original-topic', 'x-original-partition', 'x-original-offset'];

export type ReplayOptions = {
  /** The topic whose dead letters go back (its `<topic>.dlq` is read). */
  topic: string;
  /** The consumer group that remembers what was replayed, so a second replay does not resend. */
  groupId?: string;
  /** Stop once no message came for this long (the dead-letter topic is drained). */
  idleMs?: number;
};

/**
 * Sends dead-lettered messages back to their topic, with their key, value and original headers (trace
 * context included), the dead-letter headers removed: the consumers see them as new deliveries, which
 * they handle idempotently. Run it after fixing what made them fail. It drains the dead-letter topic (no
 * partial replay: a handler that refused a message would dead-letter a dead letter, which drops it). Each
 * offset is committed by the replay group only once the copy is durable, so an interrupted replay resumes.
 */
export async function replayDeadLetters(bus: EventBus, opts: ReplayOptions): Promise<{ replayed: number }> {
  const idleMs = opts.idleMs ?? 5_000;
  let replayed = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => { clearTimeout(idle); idle = setTimeout(finish, idleMs); };
  const sub = await bus.subscribe({
    topics: [dlqTopic(opts.topic)], groupId: opts.groupId ?? `rowline-dlq-replay.${opts.topic}`, fromBeginning: true,
    handler: async (msg) => {
      const headers = Object.fromEntries(Object.entries(msg.headers).filter(([k]) => !DEAD_LETTER_HEADERS.includes(k)));
      await bus.publish(opts.topic, [{ key: msg.key, value: msg.value, headers }]);
      replayed++;
      armIdle();
    },
  });
  await sub.ready;
  armIdle();
  await finished;
  clearTimeout(idle);
  await sub.stop();
  return { replayed };
}
