import { describe, expect, it } from 'vitest';
import { runKeyedBatch, Slots } from '../src/kafka/keyed-batch.js';

type M = { key: string; offset: number };
const batch = (keys: string) => [...keys].map((key, offset) => ({ key, offset }));
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('runKeyedBatch', () => {
  it('resolves offsets only up to the first message not yet done', async () => {
    const resolved: number[] = [];
    const gates = new Map<number, () => void>();
    const run = runKeyedBatch(batch('abc'), {
      keyOf: (m: M) => m.key,
      handle: (m) => new Promise<void>((resolve) => gates.set(m.offset, resolve)),
      resolve: (m) => resolved.push(m.offset),
      shouldGoOn: () => true,
      slots: new Slots(3),
    });
    await tick();
    gates.get(2)!();
    gates.get(1)!();
    await tick();
    expect(resolved).toEqual([]);
    gates.get(0)!();
    await run;
    expect(resolved).toEqual([2]);
  });

  it('runs one key in order and never more than the slots at once', async () => {
    const order: number[] = [];
    let inFlight = 0;
    let most = 0;
    await runKeyedBatch(batch('aabbaacc'), {
      keyOf: (m: M) => m.key,
      handle: async (m) => { most = Math.max(most, ++inFlight); await tick(); order.push(m.offset); inFlight--; },
      resolve: () => undefined,
      shouldGoOn: () => true,
      slots: new Slots(2),
    });
    expect(most).toBe(2);
    const ofA = order.filter((o) => [0, 1, 4, 5].includes(o));
    expect(ofA).toEqual([0, 1, 4, 5]);
  });

  it('throws a failure after the others settle, resolving nothing past it and skipping later messages of its key', async () => {
    const resolved: number[] = [];
    const handled: number[] = [];
    await expect(runKeyedBatch(batch('abac'), {
      keyOf: (m: M) => m.key,
      handle: async (m) => { await tick(); if (m.offset === 1) throw new Error('broken'); handled.push(m.offset); },
      resolve: (m) => resolved.push(m.offset),
      shouldGoOn: () => true,
      slots: new Slots(4),
    })).rejects.toThrow('broken');
    expect(handled).toContain(0);
    expect(Math.max(...resolved)).toBe(0);
  });

  it('starts nothing more once told to stop, and waits for what it started', async () => {
    let go = true;
    const handled: number[] = [];
    await runKeyedBatch(batch('abcd'), {
      keyOf: (m: M) => m.key,
      handle: async (m) => { go = false; await tick(); handled.push(m.offset); },
      resolve: () => undefined,
      shouldGoOn: () => go,
      slots: new Slots(1),
    });
    expect(handled).toEqual([0]);
  });
});
