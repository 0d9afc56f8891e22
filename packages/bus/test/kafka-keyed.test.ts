import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBus, type EventBus } from '@rowline/bus';
import { kafkaServer } from '@rowline/testing';

const text = (value: string) => new TextEncoder().encode(value);

describe("kafka bus, ordering: 'key'", () => {
  let bus: EventBus;
  let brokers: string[];
  beforeAll(async () => {
    ({ brokers } = await kafkaServer());
    bus = createKafkaBus({ brokers, clientId: 'bus-keyed', topicPrefix: `keyed-${randomUUID().slice(0, 8)}.` });
  });
  afterAll(async () => {
    await bus?.close();
  });

  /**
   * A bus on a one-partition topic created without its dead-letter topic (ensureTopics would create both), with
   * one attempt per message: a message whose handler fails cannot be dead-lettered either, so its lane fails.
   */
  async function busWithoutDeadLetters(name: string): Promise<EventBus> {
    const prefix = `keyed-nodlq-${randomUUID().slice(0, 8)}.`;
    const admin = new Kafka({ clientId: 'bus-keyed-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${prefix}${name}`, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    return createKafkaBus({ brokers, clientId: 'bus-keyed-nodlq', topicPrefix: prefix, dlq: { maxAttempts: 1, backoffMs: 10 } });
  }

  it('has messages of different keys of one partition in flight together, and each key in order', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    let inFlight = 0;
    let most = 0;
    const byKey = new Map<string, number[]>();
    const sub = await bus.subscribe({
      topics: [topic], groupId: `g-${randomUUID()}`, ordering: 'key', concurrency: 8,
      handler: async (msg) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        byKey.set(msg.key, [...(byKey.get(msg.key) ?? []), Number(msg.value.toString())]);
        inFlight--;
      },
    });
    await sub.ready;
    await bus.publish(topic, Array.from({ length: 64 }, (_, i) => ({ key: `k${i % 8}`, value: text(String(i)) })));
    for (let i = 0; i < 400 && [...byKey.values()].flat().length < 64; i++) await new Promise((r) => setTimeout(r, 25));
    expect([...byKey.values()].flat()).toHaveLength(64);
    // One partition, yet several keys at once; never more than the concurrency.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
    for (const [key, values] of byKey) expect(values, key).toEqual([...values].sort((a, b) => a - b));
    await sub.stop();
  });

  it('with a batch window, delivers a lone message and a burst, each key in order', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const seen: Array<{ key: string; n: number }> = [];
    const sub = await bus.subscribe({
      topics: [topic], groupId: `g-${randomUUID()}`, ordering: 'key', concurrency: 4, batchWindowMs: 50,
      handler: async (msg) => void seen.push({ key: msg.key, n: Number(msg.value.toString()) }),
    });
    await sub.ready;
    const waitFor = async (n: number) => { for (let i = 0; i < 400 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 25)); };
    await bus.publish(topic, [{ key: 'alone', value: text('0') }]);
    await waitFor(1);
    expect(seen).toEqual([{ key: 'alone', n: 0 }]);
    await bus.publish(topic, Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 5}`, value: text(String(i + 1)) })));
    await waitFor(101);
    expect(seen).toHaveLength(101);
    for (const key of ['k0', 'k1', 'k2', 'k3', 'k4']) {
      const ns = seen.filter((s) => s.key === key).map((s) => s.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    await sub.stop();
  });
  it('handles new messages while a slow one is in flight, and commits them all once it ends', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    let release!: () => void;
    const slowDone = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const sub = await bus.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 4,
      handler: async (msg) => {
        if (msg.key === 'slow') await slowDone;
        seen.push(msg.value.toString());
      },
    });
    await sub.ready;
    const waitFor = async (n: number) => { for (let i = 0; i < 400 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 25)); };
    await bus.publish(topic, [{ key: 'slow', value: text('slow') }]);
    await new Promise((r) => setTimeout(r, 300));
    // Published after the slow one was fetched: kafkajs alone would fetch them only once it ended.
    await bus.publish(topic, [{ key: 'a', value: text('a') }, { key: 'b', value: text('b') }]);
    await waitFor(2);
    expect(seen.sort()).toEqual(['a', 'b']);
    release();
    await waitFor(3);
    await sub.stop();
    expect(seen.sort()).toEqual(['a', 'b', 'slow']);

    // Everything was committed: the group, back again, has nothing more to handle.
    const again: string[] = [];
    const next = await bus.subscribe({ topics: [topic], groupId, ordering: 'key', concurrency: 4, handler: async (msg) => void again.push(msg.value.toString()) });
    await next.ready;
    await bus.publish(topic, [{ key: 'c', value: text('c') }]);
    for (let i = 0; i < 400 && !again.includes('c'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(again).toEqual(['c']);
    await next.stop();
  });

  it('loses nothing when a second member joins while messages are in flight', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const groupId = `g-${randomUUID()}`;
    const handled = new Set<string>();
    let endTest!: () => void;
    const testEnded = new Promise<void>((resolve) => (endTest = resolve));
    const handle = async (msg: { value: Uint8Array }) => {
      await new Promise((r) => setTimeout(r, 20));
      handled.add(new TextDecoder().decode(msg.value));
    };
    // Until the second member joins, the first member's handlers never end (stuck), so it finishes and commits
    // nothing: after the rebalance, each partition must be handled again from its first message, whichever
    // member has it. (The first message of each key is stuck, and the others of its key wait behind it.)
    const firstTries = new Set<string>();
    let joining = false;
    const first = await bus.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 64,
      handler: async (msg) => {
        if (joining) return handle(msg);
        firstTries.add(new TextDecoder().decode(msg.value));
        return testEnded;
      },
    });
    await first.ready;
    await bus.publish(topic, Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 10}`, value: text(String(i)) })));
    for (let i = 0; i < 400 && firstTries.size < 10; i++) await new Promise((r) => setTimeout(r, 25));
    expect(firstTries.size).toBe(10);
    joining = true;
    const second = await bus.subscribe({ topics: [topic], groupId, ordering: 'key', concurrency: 4, handler: handle });
    await second.ready;
    try {
      for (let i = 0; i < 1200 && handled.size < 40; i++) await new Promise((r) => setTimeout(r, 25));
      expect([...handled].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      endTest();
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('delivers a message again from where it failed when even its dead-lettering failed, and commits past it only once it is done', async () => {
    // Dead-lettering fails, the only way a keyed message fails for good: its partition must be fetched again from it.
    const topic = 'requests';
    const failing = await busWithoutDeadLetters(topic);
    const groupId = `g-${randomUUID()}`;
    const handled: string[] = [];
    let failures = 0;
    const sub = await failing.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 4,
      handler: async (msg) => {
        const value = msg.value.toString();
        if (value === 'bad' && failures++ === 0) throw new Error('first try fails');
        handled.push(value);
      },
    });
    try {
      await sub.ready;
      await failing.publish(topic, [{ key: 'a', value: text('a') }, { key: 'b', value: text('bad') }, { key: 'c', value: text('c') }]);
      // The dead-letter publish fails after the producer's retries (a few seconds), then the lane waits 1 s.
      for (let i = 0; i < 1200 && !handled.includes('bad'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(failures).toBe(2);
      expect(new Set(handled)).toEqual(new Set(['a', 'bad', 'c']));
      // Published after the rewind: fetched on from there, once.
      await failing.publish(topic, [{ key: 'd', value: text('d') }]);
      for (let i = 0; i < 400 && !handled.includes('d'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(handled.filter((v) => v === 'd')).toEqual(['d']);
    } finally {
      await sub.stop();
    }
    // Everything was committed: the group, back again, has only what is new.
    const again: string[] = [];
    const next = await failing.subscribe({ topics: [topic], groupId, ordering: 'key', concurrency: 4, handler: async (msg) => void again.push(msg.value.toString()) });
    try {
      await next.ready;
      await failing.publish(topic, [{ key: 'e', value: text('e') }]);
      for (let i = 0; i < 400 && !again.includes('e'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(again).toEqual(['e']);
    } finally {
      await next.stop();
      await failing.close();
    }
  }, 60_000);

  it('leaves a failed message, and what follows it, to the next member when stopped meanwhile; nothing is thrown after the stop', async () => {
    // A message that keeps failing fails its lane, which waits 1 s to be rewound.
    const topic = 'requests';
    const failing = await busWithoutDeadLetters(topic);
    const groupId = `g-${randomUUID()}`;
    const first: string[] = [];
    let tried!: () => void;
    const badTried = new Promise<void>((resolve) => (tried = resolve));
    const sub = await failing.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 4,
      handler: async (msg) => {
        const value = msg.value.toString();
        if (value === 'bad') { tried(); throw new Error('always fails here'); }
        first.push(value);
      },
    });
    await sub.ready;
    await failing.publish(topic, [{ key: 'a', value: text('a') }, { key: 'b', value: text('bad') }, { key: 'c', value: text('c') }]);
    await badTried;
    // Stops once the failed dead-lettering settles (a few seconds); the lane's rewind would come 1 s later.
    await sub.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    const second: string[] = [];
    const next = await failing.subscribe({ topics: [topic], groupId, ordering: 'key', concurrency: 4, handler: async (msg) => void second.push(msg.value.toString()) });
    try {
      await next.ready;
      for (let i = 0; i < 400 && !(second.includes('bad') && second.includes('c')); i++) await new Promise((r) => setTimeout(r, 25));
      // Only what was done before the failed message was committed: it and everything after it come again.
      expect(second).toContain('bad');
      expect(second).toContain('c');
      expect(second).not.toContain('a');
      expect(first).toContain('a');
    } finally {
      await next.stop();
      await failing.close();
    }
  }, 60_000);

  it('at a stop, does not commit past a message queued behind another of its key', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    const first: string[] = [];
    let started!: () => void;
    const slowStarted = new Promise<void>((resolve) => (started = resolve));
    const sub = await bus.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 4,
      handler: async (msg) => {
        const value = msg.value.toString();
        if (value === 'k0') { started(); await new Promise((r) => setTimeout(r, 500)); }
        first.push(value);
      },
    });
    await sub.ready;
    await bus.publish(topic, [{ key: 'k', value: text('k0') }, { key: 'k', value: text('k1') }]);
    await slowStarted;
    await sub.stop();
    // k1 waited behind k0 and never ran: it is the next member's.
    expect(first).toEqual(['k0']);
    const second: string[] = [];
    const next = await bus.subscribe({ topics: [topic], groupId, ordering: 'key', concurrency: 4, handler: async (msg) => void second.push(msg.value.toString()) });
    try {
      await next.ready;
      for (let i = 0; i < 400 && !second.includes('k1'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(second).toEqual(['k1']);
    } finally {
      await next.stop();
    }
  });

  it('commits only what is done even with commitIntervalMs 0', async () => {
    const topic = `t-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    const gates: Array<() => void> = [];
    const sub = await bus.subscribe({
      topics: [topic], groupId, ordering: 'key', concurrency: 4, commitIntervalMs: 0,
      handler: () => new Promise<void>((resolve) => gates.push(resolve)),
    });
    try {
      await sub.ready;
      await bus.publish(topic, [{ key: 'a', value: text('a') }, { key: 'b', value: text('b') }]);
      for (let i = 0; i < 400 && gates.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(gates).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 1_000));
      // Both in flight: nothing may be committed yet.
      expect((await bus.positions(groupId, topic))[0]!.next).toBeLessThanOrEqual(0);
      for (const open of gates.splice(0)) open();
      let next = -1;
      for (let i = 0; i < 400 && next < 2; i++) { await new Promise((r) => setTimeout(r, 25)); next = (await bus.positions(groupId, topic))[0]!.next; }
      expect(next).toBe(2);
    } finally {
      for (const open of gates.splice(0)) open();
      await sub.stop();
    }
  });
});
