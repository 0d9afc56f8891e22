import { describe, expect, it } from 'vitest';
import { createMemoryBus, replayDeadLetters, type BusMessage } from '../src/index.js';

describe('replaying a dead-letter topic', () => {
  it('sends each dead letter back once, with its key, value and original headers, and nothing on a second replay', async () => {
    const bus = createMemoryBus({ dlq: { maxAttempts: 1, backoffMs: 1 } });
    await bus.ensureTopics([{ name: 'jobs', partitions: 2 }]);
    let broken = true;
    const handled: BusMessage[] = [];
    await bus.subscribe({
      topics: ['jobs'], groupId: 'workers', fromBeginning: true,
      handler: async (m) => { if (broken) throw new Error('downstream is down'); handled.push(m); },
    });
    await bus.publish('jobs', [
      { key: 'a', value: Buffer.from('1'), headers: { 'event-type': 'x', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
      { key: 'b', value: Buffer.from('2') },
    ]);
    // Both end up dead-lettered: wait for them on the dead-letter topic.
    const dead: BusMessage[] = [];
    const tap = await bus.subscribe({ topics: ['jobs.dlq'], groupId: 'tap', fromBeginning: true, handler: async (m) => { dead.push(m); } });
    await tap.ready;
    while (dead.length < 2) await new Promise((r) => setTimeout(r, 10));
    await tap.stop();

    broken = false;
    expect(await replayDeadLetters(bus, { topic: 'jobs', idleMs: 200 })).toEqual({ replayed: 2 });
    while (handled.length < 2) await new Promise((r) => setTimeout(r, 10));
    const a = handled.find((m) => m.key === 'a')!;
    expect(a.value.toString()).toBe('1');
    expect(a.headers).toMatchObject({ 'event-type': 'x', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(Object.keys(a.headers).filter((k) => k.startsWith('x-'))).toEqual([]);
    expect(handled.map((m) => m.key).sort()).toEqual(['a', 'b']);

    expect(await replayDeadLetters(bus, { topic: 'jobs', idleMs: 200 })).toEqual({ replayed: 0 });
    await bus.close();
  });
});
