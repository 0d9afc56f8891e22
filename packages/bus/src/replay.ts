import { dlqTopic } from './names.js';
import type { BusMessage, EventBus, PartitionPosition } from './types.js';

const DEAD_LETTER_HEADERS = ['x-error', 'x-original-topic', 'x-original-partition', 'x-original-offset'];

export type ReplayOptions = {
  /** The topic whose dead letters go back (its `<topic>.dlq` is read). */
  topic: string;
  /** The consumer group that remembers what was replayed, so a second replay does not resend. */
  groupId?: string;
  /**
   * A safety net: stop early once no message came for this long. The replay normally stops when it has reached
   * the end the dead-letter topic had at its start; this bounds a wait for a partition that does not get there
   * (a fetch of another partition held back by messages the replay is leaving for later, or offsets without a
   * message at the end of a partition). Then it replayed less than was there, and the next replay goes on.
   */
  idleMs?: number;
};

/**
 * Sends dead-lettered messages back to their topic, with their key, value and original headers (trace
 * context included), the dead-letter headers removed: the consumers see them as new deliveries, which
 * they handle idempotently. Run it after fixing what made them fail.
 *
 * It replays what the dead-letter topic held when it started, and stops there: a replayed message that fails
 * again is dead-lettered again, and replaying that too would loop for as long as the cause lasts. Messages
 * dead-lettered meanwhile are left for the next replay (no partial replay of a message: a handler that refused
 * one would dead-letter a dead letter, which drops it). Each offset is committed by the replay group only
 * once the copy is durable, so an interrupted replay resumes and a second one sends nothing twice.
 */
export async function replayDeadLetters(bus: EventBus, opts: ReplayOptions): Promise<{ replayed: number; remaining: number }> {
  const dlq = dlqTopic(opts.topic);
  const groupId = opts.groupId ?? `rowline-dlq-replay.${opts.topic}`;
  const start = await bus.positions(groupId, dlq);
  // Where each partition ends for this replay; those with nothing to replay are done before it starts.
  const pending = new Map(start.filter((p) => p.next < p.end).map((p) => [p.partition, p.end]));
  if (pending.size === 0) return { replayed: 0, remaining: 0 };

  let replayed = 0;
  let done = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = () => { done = true; resolve(); }; });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => { if (done) return; clearTimeout(idle); idle = setTimeout(finish, opts.idleMs ?? 5_000); };
  const reached = (partition: number) => {
    pending.delete(partition);
    if (pending.size === 0) finish();
  };
  const sub = await bus.subscribe({
    topics: [dlq], groupId, fromBeginning: true, concurrency: start.length,
    handler: async (msg) => {
      const end = pending.get(msg.partition);
      if (end === undefined || Number(msg.offset) >= end) {
        // Dead-lettered after the start: skipped, not waited on (a handler held back would hold back the
        // fetches of other partitions). The offsets committed past the start's end are set back below.
        if (end !== undefined) reached(msg.partition);
        return;
      }
      await bus.publish(opts.topic, [replayCopy(msg)]);
      replayed++;
      armIdle();
      if (Number(msg.offset) + 1 >= end) reached(msg.partition);
    },
  });
  await sub.ready;
  armIdle();
  await finished;
  clearTimeout(idle);
  await sub.stop();
  const after = await rewindPast(bus, groupId, dlq, start).catch((err: unknown) => {
    // The group went past what came after the start: unless it is set back, the next replay skips that.
    const where = start.map((p) => `partition ${p.partition} back to offset ${p.end} if past it`).join(', ');
    throw new Error(`replayed ${replayed}, but could not set consumer group ${groupId} back on ${dlq} (${where}); `
      + `set it by hand (kafka-consumer-groups --reset-offsets) before the next replay: ${(err as Error).message}`, { cause: err });
  });
  // What was there at the start and is not replayed yet (the idle safety net stopped it first): the next replay's.
  const remaining = start.reduce((sum, p) => sum + Math.max(0, p.end - Math.min(after.get(p.partition) ?? p.next, p.end)), 0);
  return { replayed, remaining };
}

const replayCopy = (msg: BusMessage) => ({
  key: msg.key,
  value: msg.value,
  headers: Object.fromEntries(Object.entries(msg.headers).filter(([k]) => !DEAD_LETTER_HEADERS.includes(k))),
});

/**
 * Leaves the group at the start's end of each partition where it went further, so the next replay sends what
 * came since; answers where the group stands now, by partition.
 */
async function rewindPast(bus: EventBus, groupId: string, dlq: string, start: PartitionPosition[]): Promise<Map<number, number>> {
  const now = new Map((await bus.positions(groupId, dlq)).map((p) => [p.partition, p.next]));
  const past = start.filter((p) => (now.get(p.partition) ?? 0) > p.end).map((p) => ({ partition: p.partition, offset: p.end }));
  if (past.length > 0) await bus.setPositions(groupId, dlq, past);
  for (const p of past) now.set(p.partition, p.offset);
  return now;
}
