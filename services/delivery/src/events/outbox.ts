import { traceHeaders, type EntityManager, type Logger } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';
import type { OutboxMessage } from './messages.js';

/**
 * Appends messages to the outbox inside the caller's transaction, with the active trace context (the consumer's
 * span, or a delivery attempt's) so the relay publishes them in that trace, whenever it runs.
 */
export async function appendOutbox(tx: EntityManager, messages: OutboxMessage[]): Promise<void> {
  for (const m of messages) {
    await tx.execute('insert into "delivery"."outbox" ("topic", "key", "payload", "headers") values (?, ?, ?, ?)',
      [m.topic, m.key, Buffer.from(m.payload), JSON.stringify({ ...traceHeaders(), ...m.headers })]);
  }
}

type Row = { id: string; topic: string; key: string; payload: Buffer; headers: Record<string, string> };

/**
 * Publishes the outbox in id order under an advisory lock (one relay at a time keeps per-delivery order).
 * Rows are marked sent in the lock's transaction after the broker acknowledged them: a crash in between
 * publishes them again (at-least-once; consumers deduplicate by event id).
 */
export function createOutboxRelay(deps: { em: () => EntityManager; bus: EventBus; logger: Logger; intervalMs?: number; batchSize?: number }) {
  const intervalMs = deps.intervalMs ?? 200;
  const batchSize = deps.batchSize ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let running: Promise<void> | null = null;
  let again = false;

  const drainOnce = () => deps.em().transactional(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }[]>("select pg_try_advisory_xact_lock(hashtext('delivery.outbox')) as locked");
    if (!lock?.locked) return 0;
    const rows = await tx.execute<Row[]>('select "id", "topic", "key", "payload", "headers" from "delivery"."outbox" where "sent_at" is null order by "id" limit ?', [batchSize]);
    if (!rows.length) return 0;
    const byTopic = new Map<string, Row[]>();
    for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) await deps.bus.publish(topic, list.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })));
    await tx.execute('update "delivery"."outbox" set "sent_at" = now() where "id" in (?)', [rows.map((r) => r.id)]);
    return rows.length;
  });

  // A poll that finds nothing is most polls: one indexed query on its own connection, instead of a
  // transaction of four round trips (begin, lock, select, commit).
  async function unsent(): Promise<boolean> {
    const [row] = await deps.em().execute<{ unsent: boolean }[]>('select exists (select 1 from "delivery"."outbox" where "sent_at" is null) as "unsent"');
    return !!row?.unsent;
  }
  /** `polled`: started by the timer rather than by a nudge after a local commit, so probably with nothing to send. */
  async function loop(polled: boolean): Promise<void> {
    try {
      again = false;
      if (polled && !(await unsent()) && !again) return;
      let sent: number;
      do { again = false; sent = await drainOnce(); } while ((sent > 0 || again) && !stopped);
    } catch (err) {
      deps.logger.error({ err }, 'delivery outbox relay failed; will retry');
    } finally {
      running = null;
      if (!stopped) timer = setTimeout(() => run(true), intervalMs);
    }
  }
  function run(polled = false) {
    if (stopped) return;
    if (running) { again = true; return; }
    clearTimeout(timer);
    running = loop(polled);
  }

  return {
    start() { stopped = false; run(); },
    nudge: () => run(),
    async stop() { stopped = true; clearTimeout(timer); await running; },
  };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
