import { traceHeaders, type EntityManager, type Logger } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';

export type OutboxMessage = { topic: string; key: string; payload: Uint8Array; headers?: Record<string, string> };

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

/**
 * Publishes the outbox in id order. One relay at a time holds the advisory lock, so events of a run reach
 * Kafka in the order they were written even with many relay instances; the others stand by. Rows are
 * marked sent in the same transaction that held the lock, after the broker acknowledged them: a crash in
 * between republishes (at-least-once), and consumers are idempotent by event id.
 */
export function createOutboxRelay(deps: {
  em: () => EntityManager; bus: EventBus; logger: Logger; topicOf?: (topic: string) => string;
  intervalMs?: number; batchSize?: number; onPublished?: (rows: number) => void;
}) {
  const intervalMs = deps.intervalMs ?? 100;
  const batchSize = deps.batchSize ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = true;
  let again = false;
  let idle: Promise<void> = Promise.resolve();

  async function drainOnce(): Promise<number> {
    return deps.em().transactional(async (tx) => {
      const [lock] = await tx.execute<{ locked: boolean }[]>("select pg_try_advisory_xact_lock(hashtext('executions.outbox')) as locked");
      if (!lock?.locked) return 0;
      const rows = await tx.execute<Row[]>(
        'select "id", "topic", "key", "payload", "headers" from "executions"."outbox" where "sent_at" is null order by "id" limit ?',
        [batchSize],
      );
      if (!rows.length) return 0;
      const byTopic = new Map<string, Row[]>();
      for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      for (const [topic, list] of byTopic) {
        await deps.bus.publish(topic, list.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })));
      }
      await tx.execute('update "executions"."outbox" set "sent_at" = now() where "id" in (?)', [rows.map((r) => r.id)]);
      deps.onPublished?.(rows.length);
      return rows.length;
    });
  }

  // A poll that finds nothing is most polls: one indexed query on its own connection, instead of a
  // transaction of four round trips (begin, lock, select, commit).
  async function unsent(): Promise<boolean> {
    const [row] = await deps.em().execute<{ unsent: boolean }[]>('select exists (select 1 from "executions"."outbox" where "sent_at" is null) as "unsent"');
    return !!row?.unsent;
  }

  /** `polled`: called by the timer rather than after a local commit, so probably with nothing to send. */
  async function loop(polled = false): Promise<void> {
    if (running || stopped) { again = true; return; }
    running = true;
    try {
      again = false;
      if (polled && !(await unsent()) && !again) return;
      let sent: number;
      do {
        again = false;
        sent = await drainOnce();
      } while ((sent > 0 || again) && !stopped);
    } catch (err) {
      deps.logger.error({ err }, 'outbox relay failed; will retry');
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(() => { idle = loop(true); }, intervalMs);
    }
  }

  return {
    start() { stopped = false; idle = loop(); },
    /** Publish now rather than at the next tick: called right after a local commit that wrote events. */
    nudge() { if (!stopped && !running) { clearTimeout(timer); idle = loop(); } else again = true; },
    async stop() { stopped = true; clearTimeout(timer); await idle; },
  };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
