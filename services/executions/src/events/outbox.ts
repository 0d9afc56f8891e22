import { traceHeaders, type EntityManager, type Logger } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';

export type OutboxMessage = { topic: string; key: string; payload: Uint8Array; headers?: Record<string, string> };

/** Outbox rows as JSON (payload in base64), for statements that insert many from one parameter. */
export function outboxRows(messages: OutboxMessage[]): Array<{ topic: string; key: string; payload: string; headers: Record<string, string> }> {
  // The trace of the request or run writing the row travels with it, so its consumers join that trace.
  const trace = traceHeaders();
  return messages.map((m) => ({ topic: m.topic, key: m.key, payload: Buffer.from(m.payload).toString('base64'), headers: { ...trace, ...m.headers } }));
}

/**
 * The statement that appends messages to the outbox, in one round trip: a multi-row VALUES list takes its
 * ids from the sequence in list order, so the relay publishes the messages in the order given.
 */
export function outboxInsert(messages: OutboxMessage[]): { sql: string; params: unknown[] } {
  // The trace of the request or run writing the rows travels with them, so their consumers join that trace.
  const trace = traceHeaders();
  return {
    sql: `insert into "executions"."outbox" ("topic", "key", "payload", "headers") values ${messages.map(() => '(?, ?, ?, ?)').join(', ')}`,
    params: messages.flatMap((m) => [m.topic, m.key, Buffer.from(m.payload), JSON.stringify({ ...trace, ...m.headers })]),
  };
}

/** Appends messages to the outbox inside the caller's transaction. */
export async function appendOutbox(tx: EntityManager, messages: OutboxMessage[]): Promise<void> {
  if (!messages.length) return;
  const { sql, params } = outboxInsert(messages);
  await tx.execute(sql, params);
}

type Row = { id: string; topic: string; key: string; payload: Buffer; headers: Record<string, string> };
const BUSY = 'busy' as const;
const BUSY_RETRY_MS = 20;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

/**
 * Publishes the outbox in id order. One relay at a time holds the advisory lock, so events of a run reach
 * Kafka in the order they were written even with many relay instances; the others stand by. Rows are
 * marked sent in the same transaction that held the lock, after the broker acknowledged them: a crash in
 * between republishes (at-least-once), and consumers are idempotent by event id.
 */
export function createOutboxRelay(deps: {
  em: () => EntityManager; bus: EventBus; logger: Logger; topicOf?: (topic: string) => string;
  intervalMs?: number; batchSize?: number; onPublished?: (rows: number) => void;
  /** How long published rows are kept (for inspection) before the relay deletes them. Default 1 hour. */
  keepSentMs?: number;
  /** The least time between the starts of two drains that nudges trigger. Default 20 ms. */
  minGapMs?: number;
}) {
  const minGapMs = deps.minGapMs ?? 20;
  const intervalMs = deps.intervalMs ?? 100;
  const batchSize = deps.batchSize ?? 500;
  const keepSentMs = deps.keepSentMs ?? 3_600_000;
  let nextPrune = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = true;
  let again = false;
  let idle: Promise<void> = Promise.resolve();
  let dueAt = 0;
  let lastBegan = 0;

  /** Publishes one batch: the rows published, or BUSY when another relay holds the lock. */
  async function drainOnce(): Promise<number | typeof BUSY> {
    return deps.em().transactional(async (tx) => {
      // Two statements, not one: the rows must be read with a snapshot taken after the lock was granted,
      // or rows another relay marked sent just before releasing it would be published again.
      const [lock] = await tx.execute<{ locked: boolean }[]>("select pg_try_advisory_xact_lock(hashtext('executions.outbox')) as locked");
      if (!lock?.locked) return BUSY;
      const batch = await tx.execute<Row[]>(
        'select "id", "topic", "key", "payload", "headers" from "executions"."outbox" where "sent_at" is null order by "id" limit ?',
        [batchSize],
      );
      if (!batch.length) return 0;
      const byTopic = new Map<string, Row[]>();
      for (const r of batch) (byTopic.get(r.topic) ?? byTopic.set(r.topic, []).get(r.topic)!).push(r);
      for (const [topic, list] of byTopic) {
        await deps.bus.publish(topic, list.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })));
      }
      await tx.execute('update "executions"."outbox" set "sent_at" = now() where "id" in (?)', [batch.map((r) => r.id)]);
      deps.onPublished?.(batch.length);
      return batch.length;
    });
  }

  /** Deletes published rows older than keepSentMs, a bounded batch at a time, so the table does not grow without end. */
  async function prune(): Promise<void> {
    nextPrune = Date.now() + PRUNE_EVERY_MS;
    await deps.em().execute(
      `delete from "executions"."outbox" where "id" in (select "id" from "executions"."outbox"
        where "sent_at" < now() - (? * interval '1 millisecond') order by "id" limit ?)`,
      [keepSentMs, PRUNE_BATCH],
    );
  }

  // A poll that finds nothing is most polls: one indexed query on its own connection, instead of a
  // transaction of four round trips (begin, lock, select, commit).
  async function unsent(): Promise<boolean> {
    const [row] = await deps.em().execute<{ unsent: boolean }[]>('select exists (select 1 from "executions"."outbox" where "sent_at" is null) as "unsent"');
    return !!row?.unsent;
  }

  /** When the relay should drain next: `at` ms from now, unless it is already due sooner. */
  function schedule(inMs: number, polled: boolean): void {
    if (stopped) return;
    const at = Date.now() + inMs;
    if (timer && dueAt <= at) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => { timer = undefined; idle = loop(polled); }, inMs);
  }

  /**
   * One turn: a drain (more while batches come back full), then the next turn is scheduled. Rows written
   * meanwhile (`again`) are drained no sooner than `minGapMs` after this drain began: under load each drain
   * carries the rows of many runs (a drain costs four round trips and a produce request whatever its size),
   * while a lone commit on a quiet relay is published at once.
   */
  async function loop(polled = false): Promise<void> {
    if (running || stopped) { again = true; return; }
    running = true;
    const began = (lastBegan = Date.now());
    let next = intervalMs;
    let nextPolled = true;
    try {
      if (Date.now() >= nextPrune) await prune();
      again = false;
      if (polled && !(await unsent()) && !again) return;
      let sent: number | typeof BUSY;
      do {
        again = false;
        sent = await drainOnce();
      } while (sent === batchSize && !stopped);
      // Another relay is publishing: it may not know of the rows written here, so look again soon.
      if (sent === BUSY) { next = BUSY_RETRY_MS; nextPolled = false; }
    } catch (err) {
      deps.logger.error({ err }, 'outbox relay failed; will retry');
    } finally {
      running = false;
      if (again) { next = Math.max(0, began + minGapMs - Date.now()); nextPolled = false; }
      schedule(next, nextPolled);
    }
  }

  return {
    start() { stopped = false; idle = loop(); },
    /** Called right after a local commit that wrote rows: publish them now, or as soon as the gap allows. */
    nudge() {
      if (stopped) return;
      if (running) { again = true; return; }
      schedule(Math.max(0, lastBegan + minGapMs - Date.now()), false);
    },
    async stop() { stopped = true; clearTimeout(timer); await idle; },
  };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
