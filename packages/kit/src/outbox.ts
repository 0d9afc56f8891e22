import type { EntityManager } from './orm.js';
import type { Logger } from './logger.js';
import { nativePool } from './prepared.js';
import { traceHeaders } from './tracing.js';

/**
 * The transactional outbox every service with events shares: a `"<schema>"."outbox"` table (id bigserial,
 * topic, key, payload bytea, headers jsonb, created_at, sent_at, and a partial index on unsent ids) written in
 * the transaction of the change an event reports, and a relay that publishes it in id order.
 */
export type OutboxMessage = { topic: string; key: string; payload: Uint8Array; headers?: Record<string, string> };

/** What the relay needs of the event bus (`@rowline/bus`'s EventBus has it). */
export type OutboxPublisher = {
  publish(topic: string, messages: Array<{ key: string; value: Uint8Array; headers?: Record<string, string> }>): Promise<void>;
};

const table = (schema: string) => `"${schema}"."outbox"`;

// The trace of the request or run writing the rows travels with them, so their consumers join that trace.
const headersOf = (m: OutboxMessage, trace: Record<string, string>) => ({ ...trace, ...m.headers });

/**
 * The statement that appends messages to the outbox, in one round trip: a multi-row VALUES list takes its
 * ids from the sequence in list order, so the relay publishes the messages in the order given.
 */
export function outboxInsert(schema: string, messages: OutboxMessage[]): { sql: string; params: unknown[] } {
  return {
    sql: `insert into ${table(schema)} ("topic", "key", "payload", "headers") values ${messages.map(() => '(?, ?, ?, ?)').join(', ')}`,
    params: outboxParams(messages),
  };
}

/** The parameters of outbox rows, four per message: topic, key, payload (bytea), headers (JSON text). */
export function outboxParams(messages: OutboxMessage[]): unknown[] {
  const trace = traceHeaders();
  return messages.flatMap((m) => [m.topic, m.key, Buffer.from(m.payload), JSON.stringify(headersOf(m, trace))]);
}

/**
 * Outbox rows as one JSON document (payload in base64), for a statement that inserts them only under a
 * condition, from `jsonb_array_elements(...) with ordinality` ordered by position (see executions' run store).
 */
export function outboxJson(messages: OutboxMessage[]): Array<{ topic: string; key: string; payload: string; headers: Record<string, string> }> {
  const trace = traceHeaders();
  return messages.map((m) => ({ topic: m.topic, key: m.key, payload: Buffer.from(m.payload).toString('base64'), headers: headersOf(m, trace) }));
}

/** Appends messages to the outbox inside the caller's transaction. */
export async function appendOutbox(tx: EntityManager, schema: string, messages: OutboxMessage[]): Promise<void> {
  if (!messages.length) return;
  const { sql, params } = outboxInsert(schema, messages);
  await tx.execute(sql, params);
}

type Row = { id: string; topic: string; key: string; payload: Buffer; headers: Record<string, string> };
const BUSY = 'busy' as const;
const BUSY_RETRY_MS = 20;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 10_000;

export type OutboxRelayOptions = {
  /** The schema whose `outbox` table this relay publishes; also names its advisory lock. */
  schema: string;
  em: () => EntityManager; bus: OutboxPublisher; logger: Logger;
  /**
   * How often a quiet relay looks for rows it was not nudged about: a writer nudges its own process's relay
   * after every commit, so the poll only finds rows whose writer died before its relay drained them.
   * Default 500 ms (at 100 ms, four relays' polls were about a third of a statement per run at 40 runs/s).
   */
  intervalMs?: number;
  batchSize?: number;
  onPublished?: (rows: number) => void;
  /** How long published rows are kept (for inspection) before the relay deletes them. Default 1 hour. */
  keepSentMs?: number;
  /** The least time between the starts of two drains that nudges trigger. Default 20 ms. */
  minGapMs?: number;
  /**
   * How long a drain may leave its transaction idle (waiting on the broker, or its process frozen) before
   * PostgreSQL ends its session and with it the lock. Default 15 s.
   */
  stalledAfterMs?: number;
};

/**
 * The relay's first statements in its drain transaction, its values inlined (they are the relay's own settings,
 * not input): `settings` sets the transaction's limits and takes the advisory lock (column `locked`), `read`
 * answers the unsent rows in id order, none unless the lock was granted.
 *
 * The read must walk the partial index of unsent ids in order. Rows marked sent leave dead entries in it until
 * a vacuum; an index scan marks them dead as it passes and skips them afterwards, and the btree drops them
 * before it would split a page, so the index stays a page or two. A bitmap scan (which the planner chose
 * whenever it expected few unsent rows: with no statistics, as on a new table, or with true ones) neither
 * marks nor skips them: it fetched every heap page of every row sent since the last vacuum, 297 pages a drain
 * at 100 runs/s and 0.8 ms of Postgres CPU (pg_stat_statements), against 11 pages and 0.11 ms. So bitmap and
 * sequential scans are off in the drain's transaction.
 */
export function relayRead(schema: string, opts: { stalledAfterMs: number; batchSize: number }): { settings: string; read: string } {
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return {
    settings: `select set_config('idle_in_transaction_session_timeout', ${literal(String(opts.stalledAfterMs))}, true),
           set_config('synchronous_commit', 'off', true),
           set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true),
           set_config('rowline.outbox_locked', pg_try_advisory_xact_lock(hashtext(${literal(`${schema}.outbox`)}))::text, true) as "locked"`,
    read: `select "id", "topic", "key", "payload", "headers" from ${table(schema)}
      where "sent_at" is null and current_setting('rowline.outbox_locked') = 'true' order by "id" limit ${Number(opts.batchSize)}`,
  };
}

/**
 * Publishes the outbox in id order. One relay at a time holds the advisory lock, so events of a key reach
 * Kafka in the order they were written even with many relay instances; the others stand by. Rows are marked
 * sent in the same transaction that held the lock, after the broker acknowledged them: a crash in between
 * republishes (at-least-once), and consumers are idempotent by event id.
 *
 * The lock lives as long as the drain's transaction. A relay whose process is frozen mid-drain (SIGSTOP, a
 * VM pause, a hung broker call) would hold it, and with it every other relay's publishing, until the process
 * comes back; so the drain asks PostgreSQL to end its session once it has been idle in the transaction for
 * `stalledAfterMs`. What it published but had not marked sent is published again by the next holder.
 */
export function createOutboxRelay(deps: OutboxRelayOptions) {
  const outbox = table(deps.schema);
  const minGapMs = deps.minGapMs ?? 20;
  const intervalMs = deps.intervalMs ?? 500;
  const batchSize = deps.batchSize ?? 500;
  const keepSentMs = deps.keepSentMs ?? 3_600_000;
  const stalledAfterMs = deps.stalledAfterMs ?? 15_000;
  let nextPrune = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = true;
  let again = false;
  let idle: Promise<void> = Promise.resolve();
  let dueAt = 0;
  let lastBegan = 0;

  // Sent as simple-protocol multi-statement queries, so a drain is two round trips (begin, lock and read; mark
  // sent and commit) where the ORM's transaction took five (begin, lock, read, mark, commit).
  const { settings, read } = relayRead(deps.schema, { stalledAfterMs, batchSize });
  const lockAndRead = `begin; ${settings}; ${read}`;

  // The ORM's pool, looked up once (an entity manager fork per drain cost more than the lookup itself).
  let pool: ReturnType<typeof nativePool> | undefined;

  /** Publishes one batch: the rows published, or BUSY when another relay holds the lock. */
  async function drainOnce(): Promise<number | typeof BUSY> {
    const client = await (await (pool ??= nativePool(deps.em()))).connect();
    let failed: Error | undefined;
    try {
      // The lock and the read are two statements, not one: the rows must be read with a snapshot taken after
      // the lock was granted, or rows another relay marked sent just before releasing it would be published
      // again. Losing the sent marks in a crash only republishes rows, so the commit need not wait for the
      // WAL flush (synchronous_commit off).
      const [, lock, read] = (await client.query(lockAndRead)) as Array<{ rows: unknown[] }>;
      const locked = (lock!.rows[0] as { locked: string }).locked === 'true';
      const batch = read!.rows as Row[];
      if (!batch.length) {
        await client.query('commit');
        return locked ? 0 : BUSY;
      }
      const byTopic = new Map<string, Row[]>();
      for (const r of batch) (byTopic.get(r.topic) ?? byTopic.set(r.topic, []).get(r.topic)!).push(r);
      for (const [topic, list] of byTopic) {
        await deps.bus.publish(topic, list.map((r) => ({ key: r.key, value: r.payload, headers: r.headers })));
      }
      await client.query(`update ${outbox} set "sent_at" = now() where "id" in (${batch.map((r) => BigInt(r.id)).join(', ')}); commit`);
      deps.onPublished?.(batch.length);
      return batch.length;
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // After a failure the transaction (and maybe the connection) is in an unknown state: the connection is
      // dropped, which also ends the transaction and its lock.
      client.release(failed ?? false);
    }
  }

  /** Deletes published rows older than keepSentMs, a bounded batch at a time, so the table does not grow without end. */
  async function prune(): Promise<void> {
    nextPrune = Date.now() + PRUNE_EVERY_MS;
    await deps.em().execute(
      `delete from ${outbox} where "id" in (select "id" from ${outbox}
        where "sent_at" < now() - (? * interval '1 millisecond') order by "id" limit ?)`,
      [keepSentMs, PRUNE_BATCH],
    );
  }

  // A poll that finds nothing is most polls: one indexed query on its own connection, instead of a
  // drain of two round trips. The first unsent id in order, not `exists (...)` (whose ORDER BY and LIMIT the
  // planner drops), so that the planner takes the partial index in order, which skips dead entries (see
  // `relayRead`).
  async function unsent(): Promise<boolean> {
    const rows = await deps.em().execute<{ id: string }[]>(`select "id" from ${outbox} where "sent_at" is null order by "id" limit 1`);
    return rows.length > 0;
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
   * carries the rows of many commits (a drain costs two round trips and a produce request whatever its
   * size), while a lone commit on a quiet relay is published at once.
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
      deps.logger.error({ err, outbox }, 'outbox relay failed; will retry');
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
