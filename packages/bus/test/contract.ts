import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage, DlqOptions, EventBus } from '@rowline/bus';

export type BusFactory = (opts: { topicPrefix: string; dlq: DlqOptions; logger: pino.Logger }) => Promise<EventBus> | EventBus;

const text = (value: string) => new TextEncoder().encode(value);
const body = (msg: BusMessage) => msg.value.toString('utf8');
let counter = 0;
/** Subscriber options for each ordering mode: the keyed mode with several messages in flight. */
const MODES = {
  partition: { ordering: 'partition' },
  key: { ordering: 'key', concurrency: 4 },
  'partition, interval commits': { ordering: 'partition', commitIntervalMs: 150 },
  'key, interval commits': { ordering: 'key', concurrency: 4, commitIntervalMs: 150 },
} as const;
const ORDERINGS = Object.keys(MODES) as Array<keyof typeof MODES>;
const mode = (name: keyof typeof MODES) => MODES[name];
const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** Polls until `check` passes; brokers deliver asynchronously, so every assertion on handled messages waits. */
async function eventually(check: () => void, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** The semantics every EventBus implementation shares; run by memory.test.ts and kafka.test.ts. */
export function busContract(name: string, createBus: BusFactory): void {
  describe(`${name} (EventBus contract)`, () => {
    let bus: EventBus;
    const logger = pino({ level: process.env.BUS_TEST_LOG ?? 'silent' });

    beforeAll(async () => {
      bus = await createBus({ topicPrefix: `${unique('contract')}.`, dlq: { maxAttempts: 3, backoffMs: 20 }, logger });
    });
    afterAll(async () => {
      await bus?.close();
    });

    async function topic(partitions = 3): Promise<string> {
      const name = unique('topic');
      await bus.ensureTopics([{ name, partitions }]);
      return name;
    }

    function collector() {
      const seen: BusMessage[] = [];
      return { seen, handler: async (msg: BusMessage) => void seen.push(msg) };
    }

    it('delivers a message with its key, value and headers intact', async () => {
      const t = await topic();
      const { seen, handler } = collector();
      const sub = await bus.subscribe({ topics: [t], groupId: unique('g'), handler });
      await sub.ready;
      const before = Date.now();
      await bus.publish(t, [{ key: 'order-1', value: text('{"total":3}'), headers: { 'x-tenant': 't1', traceparent: '00-abc-01' } }]);
      await eventually(() => expect(seen).toHaveLength(1));
      const [msg] = seen as [BusMessage];
      expect(msg.topic).toBe(t);
      expect(msg.key).toBe('order-1');
      expect(body(msg)).toBe('{"total":3}');
      expect(msg.headers).toEqual({ 'x-tenant': 't1', traceparent: '00-abc-01' });
      expect(msg.timestamp).toBeGreaterThanOrEqual(before - 5_000);
      expect(typeof msg.offset).toBe('string');
      expect(msg.partition).toBeGreaterThanOrEqual(0);
      await sub.stop();
    });

    it.each(ORDERINGS)('hands messages with the same key to the handler in publish order (%s)', async (ordering) => {
      const t = await topic(4);
      const byKey = new Map<string, number[]>();
      const sub = await bus.subscribe({
        topics: [t],
        groupId: unique('g'),
        ...mode(ordering),
        concurrency: 4,
        handler: async (msg) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          byKey.set(msg.key, [...(byKey.get(msg.key) ?? []), Number(body(msg))]);
        },
      });
      await sub.ready;
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (let i = 0; i < 60; i += 6) {
        await bus.publish(t, keys.map((key, j) => ({ key, value: text(String(i + j)) })));
      }
      await eventually(() => expect([...byKey.values()].flat()).toHaveLength(60));
      for (const [key, values] of byKey) {
        expect(values, `order of key ${key}`).toEqual([...values].sort((x, y) => x - y));
      }
      await sub.stop();
    });

    it('splits the partitions between two subscribers of one group, each message handled once', async () => {
      const t = await topic(4);
      const group = unique('g');
      const first = collector();
      const second = collector();
      const a = await bus.subscribe({ topics: [t], groupId: group, handler: first.handler });
      const b = await bus.subscribe({ topics: [t], groupId: group, handler: second.handler });
      await Promise.all([a.ready, b.ready]);
      await bus.publish(t, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: text(String(i)) })));
      await eventually(() => expect(first.seen.length + second.seen.length).toBe(40));
      const all = [...first.seen, ...second.seen].map(body).sort();
      expect(new Set(all).size).toBe(40);
      expect(first.seen.length).toBeGreaterThan(0);
      expect(second.seen.length).toBeGreaterThan(0);
      const partitionsOf = (seen: BusMessage[]) => new Set(seen.map((m) => m.partition));
      const shared = [...partitionsOf(first.seen)].filter((p) => partitionsOf(second.seen).has(p));
      expect(shared).toEqual([]);
      await Promise.all([a.stop(), b.stop()]);
    });

    it('gives every group its own copy of every message', async () => {
      const t = await topic();
      const first = collector();
      const second = collector();
      const a = await bus.subscribe({ topics: [t], groupId: unique('g'), handler: first.handler });
      const b = await bus.subscribe({ topics: [t], groupId: unique('g'), handler: second.handler });
      await Promise.all([a.ready, b.ready]);
      await bus.publish(t, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: text(String(i)) })));
      await eventually(() => {
        expect(first.seen.map(body).sort()).toEqual(second.seen.map(body).sort());
        expect(first.seen).toHaveLength(10);
      });
      await Promise.all([a.stop(), b.stop()]);
    });

    it('retries a handler that throws, then moves on once it succeeds', async () => {
      const t = await topic();
      let attempts = 0;
      const { seen, handler } = collector();
      const dlq = collector();
      const watch = await bus.subscribe({ topics: [`${t}.dlq`], groupId: unique('g'), handler: dlq.handler });
      const sub = await bus.subscribe({
        topics: [t],
        groupId: unique('g'),
        handler: async (msg) => {
          if (body(msg) === 'flaky' && ++attempts < 3) throw new Error('not yet');
          await handler(msg);
        },
      });
      await Promise.all([sub.ready, watch.ready]);
      await bus.publish(t, [{ key: 'k', value: text('flaky') }, { key: 'k', value: text('next') }]);
      await eventually(() => expect(seen.map(body)).toEqual(['flaky', 'next']));
      expect(attempts).toBe(3);
      expect(dlq.seen).toEqual([]);
      await Promise.all([sub.stop(), watch.stop()]);
    });

    it.each(ORDERINGS)('dead-letters a message that keeps failing, with its origin and error, and the partition moves on (%s)', async (ordering) => {
      const t = await topic();
      const { seen, handler } = collector();
      const dlq = collector();
      const watch = await bus.subscribe({ topics: [`${t}.dlq`], groupId: unique('g'), handler: dlq.handler });
      const sub = await bus.subscribe({
        topics: [t],
        groupId: unique('g'),
        ...mode(ordering),
        handler: async (msg) => {
          if (body(msg) === 'poison') throw new Error('cannot parse this');
          await handler(msg);
        },
      });
      await Promise.all([sub.ready, watch.ready]);
      await bus.publish(t, [
        { key: 'k', value: text('poison'), headers: { 'x-tenant': 't1' } },
        { key: 'k', value: text('after') },
      ]);
      await eventually(() => expect(dlq.seen).toHaveLength(1));
      await eventually(() => expect(seen.map(body)).toEqual(['after']));
      const [dead] = dlq.seen as [BusMessage];
      expect(dead.topic).toBe(`${t}.dlq`);
      expect(dead.key).toBe('k');
      expect(body(dead)).toBe('poison');
      expect(dead.headers).toMatchObject({
        'x-tenant': 't1',
        'x-error': 'Error: cannot parse this',
        'x-original-topic': t,
        'x-original-partition': expect.stringMatching(/^\d+$/),
        'x-original-offset': expect.stringMatching(/^\d+$/),
      });
      await Promise.all([sub.stop(), watch.stop()]);
    });

    it.each(ORDERINGS)('resumes a restarted group after its last committed offset, losing nothing and repeating nothing (%s)', async (ordering) => {
      const t = await topic();
      const group = unique('g');
      const first = collector();
      const a = await bus.subscribe({ topics: [t], groupId: group, handler: first.handler, ...mode(ordering) });
      await a.ready;
      await bus.publish(t, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: text(`before-${i}`) })));
      await eventually(() => expect(first.seen).toHaveLength(5));
      await a.stop();
      await bus.publish(t, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: text(`while-down-${i}`) })));
      const second = collector();
      const b = await bus.subscribe({ topics: [t], groupId: group, handler: second.handler, ...mode(ordering) });
      await b.ready;
      await eventually(() => expect(second.seen).toHaveLength(5));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(second.seen.map(body).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `while-down-${i}`));
      await b.stop();
    });

    it.each(ORDERINGS)('lets a handler in flight finish when stopped, and commits it (%s)', async (ordering) => {
      const t = await topic(1);
      const group = unique('g');
      let release: () => void = () => undefined;
      const started: string[] = [];
      const finished: string[] = [];
      const a = await bus.subscribe({
        topics: [t],
        groupId: group,
        ...mode(ordering),
        handler: async (msg) => {
          started.push(body(msg));
          await new Promise<void>((resolve) => (release = resolve));
          finished.push(body(msg));
        },
      });
      await a.ready;
      await bus.publish(t, [{ key: 'k', value: text('slow') }]);
      await eventually(() => expect(started).toEqual(['slow']));
      const stopped = a.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(finished).toEqual([]);
      release();
      await stopped;
      expect(finished).toEqual(['slow']);
      const again = collector();
      const b = await bus.subscribe({ topics: [t], groupId: group, handler: again.handler, ...mode(ordering) });
      await b.ready;
      await bus.publish(t, [{ key: 'k', value: text('next') }]);
      await eventually(() => expect(again.seen.map(body)).toEqual(['next']));
      await b.stop();
    });

    it('starts a new group at the end of the log, or at the beginning when asked', async () => {
      const t = await topic();
      await bus.publish(t, [{ key: 'k', value: text('old') }]);
      const latest = collector();
      const earliest = collector();
      const a = await bus.subscribe({ topics: [t], groupId: unique('g'), handler: latest.handler });
      const b = await bus.subscribe({ topics: [t], groupId: unique('g'), fromBeginning: true, handler: earliest.handler });
      await Promise.all([a.ready, b.ready]);
      await bus.publish(t, [{ key: 'k', value: text('new') }]);
      await eventually(() => expect(earliest.seen.map(body)).toEqual(['old', 'new']));
      await eventually(() => expect(latest.seen.map(body)).toEqual(['new']));
      await Promise.all([a.stop(), b.stop()]);
    });

    it('creates each topic once with its dead-letter topic, however often and however named', async () => {
      const t = unique('topic');
      await bus.ensureTopics([{ name: t }, { name: `${t}.dlq` }, { name: t, partitions: 5 }]);
      await bus.ensureTopics([{ name: t }]);
      const { seen, handler } = collector();
      const sub = await bus.subscribe({ topics: [t, `${t}.dlq`], groupId: unique('g'), handler });
      await sub.ready;
      await bus.publish(t, [{ key: 'k', value: text('main') }]);
      await bus.publish(`${t}.dlq`, [{ key: 'k', value: text('dead') }]);
      await eventually(() => expect(seen.map(body).sort()).toEqual(['dead', 'main']));
      await expect(bus.publish(`${t}.dlq.dlq`, [{ key: 'k', value: text('x') }])).rejects.toThrow();
      await sub.stop();
    });

    it('refuses to publish to a topic that was never created', async () => {
      await expect(bus.publish(unique('missing'), [{ key: 'k', value: text('x') }])).rejects.toThrow();
    });

    it('reports itself healthy while open', () => {
      expect(bus.health().ok).toBe(true);
    });
  });
}
