import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaBus, type EventBus } from '@rowline/bus';
import { kafkaServer } from '@rowline/testing';

const text = (value: string) => new TextEncoder().encode(value);

describe("kafka bus, ordering: 'key'", () => {
  let bus: EventBus;
  beforeAll(async () => {
    const { brokers } = await kafkaServer();
    bus = createKafkaBus({ brokers, clientId: 'bus-keyed', topicPrefix: `keyed-${randomUUID().slice(0, 8)}.` });
  });
  afterAll(async () => {
    await bus?.close();
  });

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
});
