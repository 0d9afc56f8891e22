import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaBus, type EventBus } from '@rowline/bus';
import { decodeExecutionEvent, ExecutionPhase, ExecutionStatus, TOPICS } from '@rowline/proto';
import { kafkaServer, uniqueName } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION_TOPICS } from '../src/index.js';
import { appendOutbox, createOutboxRelay, relayRead, type OutboxRelay } from '@rowline/kit';
import { eventMessage } from '../src/events/messages.js';
import { quiet, startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';
import { until } from './support/until.js';

let db: ExecutionsDatabase;
let brokers: string[];
let topicPrefix: string;
const buses: EventBus[] = [];
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  [db, { brokers }] = await Promise.all([startExecutionsDatabase(), kafkaServer()]);
  topicPrefix = uniqueName('outbox');
  await (await kafkaBus()).ensureTopics(EXECUTION_TOPICS.map((name) => ({ name, partitions: 3 })));
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await Promise.all(buses.map((b) => b.close()));
  await db?.stop();
});

async function kafkaBus() {
  const bus = createKafkaBus({ brokers, clientId: `outbox-test-${buses.length}`, topicPrefix, logger: quiet });
  buses.push(bus);
  return bus;
}

/** What every relay published, in order, and how many publishes were ever in flight at once across relays. */
function publishLog() {
  const published: Array<{ relay: string; key: string; sequence: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** The real bus, observed: each publish is counted while in flight and slowed a little to widen any overlap. */
  const observed = (relay: string, bus: EventBus): EventBus => ({
    ...bus,
    async publish(topic, messages) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        await sleep(5);
        for (const m of messages) published.push({ relay, key: m.key, sequence: Number(decodeExecutionEvent(m.value).sequence) });
        await bus.publish(topic, messages);
      } finally {
        inFlight--;
      }
    },
  });
  return { published, observed, maxInFlight: () => maxInFlight };
}

/** A consumer in its own group: per run, the sequences it received, in the order it received them. */
async function consume() {
  const received = new Map<string, number[]>();
  const sub = await (await kafkaBus()).subscribe({
    topics: [TOPICS.executionEvents], groupId: `outbox-test-${randomUUID()}`, fromBeginning: true,
    handler: async (m) => {
      const seq = Number(decodeExecutionEvent(m.value).sequence);
      received.set(m.key, [...(received.get(m.key) ?? []), seq]);
    },
  });
  await sub.ready;
  const count = (keys: string[]) => keys.reduce((n, k) => n + (received.get(k)?.length ?? 0), 0);
  return { received, count, stop: () => sub.stop() };
}

const run = () => ({ id: randomUUID(), tenantId: randomUUID(), workflowId: randomUUID() });
const progress = { case: 'statusChanged' as const, value: { status: ExecutionStatus.RUNNING, phase: ExecutionPhase.TRANSFORMING } };

/** Writes one event of `r` with this sequence number in its own transaction, as a state change would. */
const writeEvent = (r: ReturnType<typeof run>, sequence: number) =>
  db.orm.em.fork().transactional((tx) => appendOutbox(tx, 'executions', [eventMessage(r, sequence, progress)]));

const unsent = async (keys: string[]) => (await db.sql<{ n: number }>(
  'select count(*)::int as "n" from "executions"."outbox" where "key" in (?) and "sent_at" is null', [keys]))[0]!.n;

const countsFrom = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('the outbox relay on Apache Kafka', () => {
  it('publishes rows in id order, in batches, and marks every one sent', async () => {
    const runs = [run(), run(), run()];
    const written: Array<{ key: string; sequence: number }> = [];
    // Interleaved across runs, so id order is not the same as grouping by run.
    for (let seq = 1; seq <= 20; seq++) {
      for (const r of runs) { await writeEvent(r, seq); written.push({ key: r.id, sequence: seq }); }
    }
    const log = publishLog();
    const consumer = await consume();
    const relay = createOutboxRelay({ schema: 'executions', em: () => db.orm.em.fork(), bus: log.observed('only', await kafkaBus()), logger: quiet, batchSize: 7, intervalMs: 20 });
    relays.push(relay);
    relay.start();

    await until('every event to reach the consumer', async () => (consumer.count(runs.map((r) => r.id)) >= written.length ? true : undefined));
    await relay.stop();
    await consumer.stop();

    expect(log.published.map(({ key, sequence }) => ({ key, sequence }))).toEqual(written);
    expect(await unsent(runs.map((r) => r.id))).toBe(0);
    for (const r of runs) expect(consumer.received.get(r.id)).toEqual(countsFrom(20));
  });

  it('lets only one of two relays on the same database publish at a time, and each run\'s events arrive once and in order', async () => {
    const runs = Array.from({ length: 5 }, run);
    const log = publishLog();
    const consumer = await consume();
    const pair: OutboxRelay[] = [];
    for (const name of ['relay-a', 'relay-b']) {
      // Its own connection pool and Kafka producer: a second process in all but name.
      const orm = await db.connect();
      const relay = createOutboxRelay({ schema: 'executions', em: () => orm.em.fork(), bus: log.observed(name, await kafkaBus()), logger: quiet, batchSize: 5, intervalMs: 5 });
      relays.push(relay);
      pair.push(relay);
      relay.start();
    }

    // Each run's events are written one after another (as a run's state changes are); runs write concurrently.
    const write = (from: number, to: number, active: OutboxRelay[]) => Promise.all(runs.map(async (r) => {
      for (let seq = from; seq <= to; seq++) {
        await writeEvent(r, seq);
        for (const relay of active) relay.nudge();
      }
    }));
    await write(1, 15, pair);
    // Which relay wins the lock is up to timing, so the handover is made certain: the relay that published last
    // stops (its rows still in flight are left to the other), and only the other can publish the rest.
    await until('a first publish', async () => log.published.at(-1));
    const last = log.published.at(-1)!.relay === 'relay-a' ? 0 : 1;
    await pair[last]!.stop();
    const other = pair[1 - last]!;
    await write(16, 30, [other]);

    const total = runs.length * 30;
    await until('every event to reach the consumer', async () => (consumer.count(runs.map((r) => r.id)) >= total ? true : undefined));
    await other.stop();
    await sleep(500);
    await consumer.stop();

    // Both took turns, never at the same time, and the handover lost, repeated and reordered nothing.
    expect(new Set(log.published.map((p) => p.relay))).toEqual(new Set(['relay-a', 'relay-b']));
    expect(log.maxInFlight()).toBe(1);
    expect(log.published).toHaveLength(total);
    expect(await unsent(runs.map((r) => r.id))).toBe(0);
    for (const r of runs) expect(consumer.received.get(r.id)).toEqual(countsFrom(30));
  });

  it('deletes rows published longer ago than it keeps them, and never an unpublished one', async () => {
    const old = run();
    const fresh = run();
    for (let seq = 1; seq <= 3; seq++) { await writeEvent(old, seq); await writeEvent(fresh, seq); }
    // The old run's rows were published two hours ago; the fresh run's are not published yet.
    await db.sql(`update "executions"."outbox" set "sent_at" = now() - interval '2 hours' where "key" = ?`, [old.id]);
    const count = async (key: string) => (await db.sql<{ n: number }>('select count(*)::int as "n" from "executions"."outbox" where "key" = ?', [key]))[0]!.n;
    const relay = createOutboxRelay({ schema: 'executions', em: () => db.orm.em.fork(), bus: await kafkaBus(), logger: quiet, intervalMs: 20, keepSentMs: 3_600_000 });
    relays.push(relay);
    relay.start();
    await until('the old rows to be deleted', async () => ((await count(old.id)) === 0 ? true : undefined));
    await until('the fresh rows to be published', async () => ((await unsent([fresh.id])) === 0 ? true : undefined));
    await relay.stop();
    // Published just now: kept for the hour.
    expect(await count(fresh.id)).toBe(3);
  });

  it('reads the unsent rows through the partial index, in id order, past thousands of rows already sent', async () => {
    // A copy of the outbox (indexes included) in a schema of its own, so that no relay of another test drains it.
    await db.sql('create schema "outbox_plan"');
    // No autovacuum: it would clear the dead entries this test is about (and its analyze hold a snapshot).
    await db.sql('create table "outbox_plan"."outbox" (like "executions"."outbox" including all) with (autovacuum_enabled = off)');
    const rows = (n: number) => db.sql(`insert into "outbox_plan"."outbox" ("topic", "key", "payload")
      select 'executions.events', gen_random_uuid()::text, decode(repeat('ab', 120), 'hex') from generate_series(1, ${n})`);
    await rows(3_000);
    // Marked sent, as drains do: each leaves a dead entry in the partial index until a vacuum.
    await db.sql('update "outbox_plan"."outbox" set "sent_at" = now()');
    await rows(3);
    // No statistics: the planner then expects a few dozen unsent rows and, left alone, fetches them with a
    // bitmap scan and sorts them.
    const { settings, read } = relayRead('outbox_plan', { stalledAfterMs: 15_000, batchSize: 500 });

    const drain = () => db.orm.em.fork().transactional(async (tx) => {
      const [{ locked }] = await tx.execute<Array<{ locked: string }>>(settings);
      const [{ 'QUERY PLAN': [plan] }] = await tx.execute<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(`explain (analyze, buffers, format json) ${read}`);
      const rows = await tx.execute<Array<{ id: string }>>(read);
      return { locked, plan: plan!.Plan, rows };
    });
    type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Shared Hit Blocks': number; 'Shared Read Blocks': number; Plans?: PlanNode[] };
    const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

    const first = await drain();
    expect(first.locked).toBe('true');
    expect(first.rows).toHaveLength(3);
    expect(first.rows.map((r) => BigInt(r.id))).toEqual([...first.rows.map((r) => BigInt(r.id))].sort((a, b) => (a < b ? -1 : 1)));
    // An ordered walk of the partial index: no bitmap scan, no sequential scan, no sort. (Without the relay's
    // settings the planner takes a bitmap scan and a sort here, expecting few rows: so it did in the pipeline
    // benchmark, on the machine's PostgreSQL 15 server.)
    expect(nodes(first.plan).map((n) => n['Node Type'])).toEqual(['Limit', 'Result', 'Index Scan']);
    expect(nodes(first.plan).at(-1)!['Index Name']).toBe('outbox_id_idx');
    // The first walk marked the dead entries; later ones skip them: a few pages, not one per thirty sent rows.
    // (An entry is marked only once no snapshot can see its row: a transaction open elsewhere at that moment
    // defers it to a later walk.)
    const pages = (d: Awaited<ReturnType<typeof drain>>) => d.plan['Shared Hit Blocks'] + d.plan['Shared Read Blocks'];
    let least = pages(first);
    for (let i = 0; i < 5 && least >= 20; i++) {
      await sleep(100);
      least = Math.min(least, pages(await drain()));
    }
    expect(least).toBeLessThan(20);
    await db.sql('drop schema "outbox_plan" cascade');
  });

  it('takes over from a relay stalled while it holds the lock: PostgreSQL ends the stalled session and the rows go out', async () => {
    const r = run();
    for (let seq = 1; seq <= 5; seq++) await writeEvent(r, seq);
    const consumer = await consume();

    // Relay A takes the lock and its publish never returns, as if its process were frozen mid-drain.
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let stalls = 0;
    const hanging: EventBus = { ...(await kafkaBus()), publish: async () => { stalls++; await released; throw new Error('the stalled publish gave up'); } };
    const ormA = await db.connect();
    const stalled = createOutboxRelay({ schema: 'executions', em: () => ormA.em.fork(), bus: hanging, logger: quiet, intervalMs: 20, stalledAfterMs: 1_000 });
    stalled.start();
    await until('relay A to hold the lock in its publish', async () => (stalls > 0 ? true : undefined));

    // Relay B, healthy, finds the lock taken until PostgreSQL ends A's idle transaction.
    const ormB = await db.connect();
    const healthy = createOutboxRelay({ schema: 'executions', em: () => ormB.em.fork(), bus: await kafkaBus(), logger: quiet, intervalMs: 20 });
    relays.push(healthy);
    healthy.start();
    try {
      await until('every event to reach the consumer through relay B', async () => (consumer.count([r.id]) >= 5 ? true : undefined));
      expect(consumer.received.get(r.id)).toEqual(countsFrom(5));
      expect(await unsent([r.id])).toBe(0);
      expect(stalls).toBe(1);
    } finally {
      release();
      await stalled.stop();
      await healthy.stop();
      await consumer.stop();
      await Promise.all([ormA.close(), ormB.close()]);
    }
  });
});
