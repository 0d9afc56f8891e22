import { describe, expect, it } from 'vitest';
import { createKeyedDispatcher, Slots, type KeyedDispatcherDeps } from '../src/kafka/keyed-batch.js';

type M = { key: string; offset: string };
const batch = (keys: string, from = 0) => [...keys].map((key, i) => ({ key, offset: String(from + i) }));
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));
const always = () => true;

/** A dispatcher on partition 0 of topic `t`, recording what it resolved. */
function dispatcher(deps: Partial<KeyedDispatcherDeps<M>> & { slots: Slots }) {
  const resolved: number[] = [];
  const d = createKeyedDispatcher<M>({
    handle: async () => undefined,
    resolve: (_topic, _partition, offset) => resolved.push(Number(offset)),
    ...deps,
  });
  return { d, resolved, dispatch: (messages: M[], goOn = always) => d.dispatch('t', 0, messages, goOn) };
}

describe('the keyed dispatcher', () => {
  it('returns once the batch has started, and resolves offsets only up to the first message not yet done', async () => {
    const gates = new Map<string, () => void>();
    const { d, resolved, dispatch } = dispatcher({ slots: new Slots(3), handle: (_t, _p, m) => new Promise<void>((resolve) => gates.set(m.offset, resolve)) });
    expect(await dispatch(batch('abc'))).toBe(3);
    await tick();
    expect(d.running).toBe(3);
    gates.get('2')!();
    gates.get('1')!();
    await tick();
    expect(resolved).toEqual([]);
    gates.get('0')!();
    await d.drain();
    expect(resolved).toEqual([2]);
  });

  it('runs one key in order and never more than the slots at once', async () => {
    const order: number[] = [];
    let inFlight = 0;
    let most = 0;
    const { d, dispatch } = dispatcher({
      slots: new Slots(2),
      handle: async (_t, _p, m) => { most = Math.max(most, ++inFlight); await tick(); order.push(Number(m.offset)); inFlight--; },
    });
    await dispatch(batch('aabbaacc'));
    await d.drain();
    expect(most).toBe(2);
    expect(order.filter((o) => [0, 1, 4, 5].includes(o))).toEqual([0, 1, 4, 5]);
  });

  it('skips the messages it already started when a fetch brings them back, and starts the new ones', async () => {
    const handled: number[] = [];
    const gates: Array<() => void> = [];
    const { d, resolved, dispatch } = dispatcher({
      slots: new Slots(8),
      handle: (_t, _p, m) => new Promise<void>((resolve) => gates.push(() => { handled.push(Number(m.offset)); resolve(); })),
    });
    expect(await dispatch(batch('ab'))).toBe(2);
    // The offsets are not resolved yet, so the next fetch starts at 0 again, with one new message.
    expect(await dispatch(batch('abc'))).toBe(1);
    for (const open of gates) open();
    await d.drain();
    expect(handled.sort()).toEqual([0, 1, 2]);
    expect(resolved.at(-1)).toBe(2);
  });

  it('after a failure resolves nothing past it and skips later messages of its key; once settled, rewinds to it and delivers it again', async () => {
    const handled: number[] = [];
    const rewound: number[] = [];
    let broken = true;
    const { d, resolved, dispatch } = dispatcher({
      slots: new Slots(4), retryAfterMs: 20,
      handle: async (_t, _p, m) => { await tick(); if (m.offset === '1' && broken) throw new Error('broken'); handled.push(Number(m.offset)); },
      rewind: (_t, _p, offset) => rewound.push(Number(offset)),
    });
    await dispatch(batch('abbc'));
    await d.drain();
    expect(handled.sort()).toEqual([0, 3]);
    expect(resolved).toEqual([0]);
    // Until the pause is over the lane starts nothing, whatever the fetch brings.
    expect(await dispatch(batch('de', 4))).toBe(0);
    expect(rewound).toEqual([]);
    broken = false;
    await new Promise((resolve) => setTimeout(resolve, 40));
    // The consumer is told to fetch again from the failed message, the first one not done.
    expect(rewound).toEqual([1]);
    expect(d.position('t', 0)).toBeUndefined();
    expect(await dispatch(batch('bbc', 1))).toBe(3);
    await d.drain();
    expect(handled.sort()).toEqual([0, 1, 2, 3, 3]);
    expect(resolved.at(-1)).toBe(3);
  });

  it('says where the next fetch may start: after the last message started, whether or not it is done', async () => {
    const gates: Array<() => void> = [];
    const { d, resolved, dispatch } = dispatcher({ slots: new Slots(2), handle: () => new Promise<void>((resolve) => gates.push(resolve)) });
    expect(d.position('t', 0)).toBeUndefined();
    // Two slots: two of the three start now, the third once a slot frees.
    const third = dispatch(batch('abc'));
    await tick();
    expect(d.position('t', 0)).toBe('1');
    expect(resolved).toEqual([]);
    gates.shift()!();
    expect(await third).toBe(3);
    expect(d.position('t', 0)).toBe('2');
    expect(d.position('t', 1)).toBeUndefined();
    for (const open of gates.splice(0)) open();
    await d.drain();
    expect(resolved.at(-1)).toBe(2);
  });

  it('after a rebalance resolves nothing for the old generation and starts the redelivered messages afresh', async () => {
    const gates: Array<() => void> = [];
    const { d, resolved, dispatch } = dispatcher({ slots: new Slots(4), handle: () => new Promise<void>((resolve) => gates.push(resolve)) });
    await dispatch(batch('ab'));
    d.reset();
    for (const open of gates.splice(0)) open();
    await d.drain();
    expect(resolved).toEqual([]);
    expect(await dispatch(batch('ab'))).toBe(2);
    for (const open of gates.splice(0)) open();
    await d.drain();
    expect(resolved).toEqual([0, 1]);
  });

  it('starts nothing more once told to stop, and drain waits for what it started', async () => {
    let go = true;
    const handled: number[] = [];
    const { d, dispatch } = dispatcher({ slots: new Slots(1), handle: async (_t, _p, m) => { go = false; await tick(); handled.push(Number(m.offset)); } });
    const started = dispatch(batch('abcd'), () => go);
    await d.drain();
    expect(await started).toBe(1);
    await d.drain();
    expect(handled).toEqual([0]);
  });

  it('wakes a waiting batch when a message is done, or after the time given', async () => {
    let open!: () => void;
    const { d, dispatch } = dispatcher({ slots: new Slots(1), handle: () => new Promise<void>((resolve) => (open = resolve)) });
    await dispatch(batch('a'));
    const woken = d.progress(60_000);
    open();
    await woken;
    const t0 = Date.now();
    await d.progress(20);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
  });
});
