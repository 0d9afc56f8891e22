import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryBus, type BusMessage } from '@rowline/bus';
import { PartitionLog } from '../src/memory/partition-log.js';

const logger = pino({ level: 'silent' });
const text = (value: string) => new TextEncoder().encode(value);

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('memory bus', () => {
  it('runs at most `concurrency` handlers of a subscriber at once', async () => {
    const bus = createMemoryBus({ logger });
    await bus.ensureTopics([{ name: 't', partitions: 8 }]);
    let running = 0;
    let peak = 0;
    let done = 0;
    await bus.subscribe({
      topics: ['t'],
      groupId: 'g',
      concurrency: 3,
      handler: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        done++;
      },
    });
    await bus.publish('t', Array.from({ length: 80 }, (_, i) => ({ key: `k${i}`, value: text('x') })));
    await until(() => done === 80);
    expect(peak).toBe(3);
    await bus.close();
  });

  it('carries a long stream through in per-key order', async () => {
    const bus = createMemoryBus({ logger, partitions: 4 });
    await bus.ensureTopics([{ name: 'stream' }]);
    const last = new Map<string, number>();
    let outOfOrder = 0;
    let handled = 0;
    await bus.subscribe({
      topics: ['stream'],
      groupId: 'g',
      concurrency: 4,
      handler: async (msg) => {
        const n = Number(msg.value.toString());
        if ((last.get(msg.key) ?? -1) > n) outOfOrder++;
        last.set(msg.key, n);
        handled++;
      },
    });
    for (let i = 0; i < 50_000; i += 500) {
      await bus.publish('stream', Array.from({ length: 500 }, (_, j) => ({ key: `run-${j % 50}`, value: text(String(i + j)) })));
    }
    await until(() => handled === 50_000, 20_000);
    expect(outOfOrder).toBe(0);
    await bus.close();
  });

  it('drops a dead-lettered message that fails again instead of blocking the dead-letter topic', async () => {
    const bus = createMemoryBus({ logger, dlq: { maxAttempts: 2, backoffMs: 1 } });
    await bus.ensureTopics([{ name: 'jobs', partitions: 1 }]);
    const replayed: string[] = [];
    await bus.subscribe({
      topics: ['jobs.dlq'],
      groupId: 'replay',
      handler: async (msg) => {
        if (msg.value.toString() === 'bad') throw new Error('still bad');
        replayed.push(msg.value.toString());
      },
    });
    await bus.subscribe({ topics: ['jobs'], groupId: 'work', handler: async () => Promise.reject(new Error('no')) });
    await bus.publish('jobs', [{ key: 'k', value: text('bad') }, { key: 'k', value: text('also bad') }]);
    await until(() => replayed.length === 1);
    expect(replayed).toEqual(['also bad']);
    await bus.close();
  });

  it('lets handlers still in flight publish while the bus closes, then refuses', async () => {
    const bus = createMemoryBus({ logger });
    await bus.ensureTopics([{ name: 'in' }, { name: 'out' }]);
    const seen: BusMessage[] = [];
    let entered = false;
    await bus.subscribe({ topics: ['out'], groupId: 'g2', fromBeginning: true, handler: async (m) => void seen.push(m) });
    await bus.subscribe({
      topics: ['in'],
      groupId: 'g1',
      handler: async (msg) => {
        entered = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        await bus.publish('out', [{ key: msg.key, value: msg.value }]);
      },
    });
    await bus.publish('in', [{ key: 'k', value: text('v') }]);
    await until(() => entered);
    await bus.close();
    expect(bus.health()).toEqual({ ok: false, detail: 'closed' });
    await expect(bus.publish('out', [{ key: 'k', value: text('late') }])).rejects.toThrow(/closed/);
  });
});

describe('partition log', () => {
  it('frees the messages every reader has committed past', () => {
    const log = new PartitionLog(10);
    const reader = { committed: 0, wake: () => undefined };
    log.attach(reader);
    for (let i = 0; i < 3_000; i++) log.append({ topic: 't', partition: 0, key: 'k', value: Buffer.alloc(0), headers: {}, timestamp: 0 });
    reader.committed = 2_500;
    log.trim();
    expect(log.start).toBe(2_500);
    expect(log.at(2_499)).toBeUndefined();
    expect(log.at(2_500)?.offset).toBe('2500');
    expect(log.end).toBe(3_000);
  });

  it('keeps only the newest messages of a partition nobody reads', () => {
    const log = new PartitionLog(100);
    for (let i = 0; i < 5_000; i++) log.append({ topic: 't', partition: 0, key: 'k', value: Buffer.alloc(0), headers: {}, timestamp: 0 });
    expect(log.end - log.start).toBeLessThanOrEqual(100 + 1_024);
    expect(log.at(log.end - 1)?.offset).toBe('4999');
  });
});
