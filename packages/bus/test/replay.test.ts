import { randomUUID } from 'node:crypto';
import { kafkaServer } from '@rowline/testing';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKafkaBus, createMemoryBus, replayDeadLetters, type BusMessage, type EventBus } from '../src/index.js';

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
    expect(await replayDeadLetters(bus, { topic: 'jobs', idleMs: 200 })).toEqual({ replayed: 2, remaining: 0 });
    while (handled.length < 2) await new Promise((r) => setTimeout(r, 10));
    const a = handled.find((m) => m.key === 'a')!;
    expect(a.value.toString()).toBe('1');
    expect(a.headers).toMatchObject({ 'event-type': 'x', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(Object.keys(a.headers).filter((k) => k.startsWith('x-'))).toEqual([]);
    expect(handled.map((m) => m.key).sort()).toEqual(['a', 'b']);

    expect(await replayDeadLetters(bus, { topic: 'jobs', idleMs: 200 })).toEqual({ replayed: 0, remaining: 0 });
    await bus.close();
  });
});

const quiet = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const buses: Array<[string, () => Promise<EventBus>]> = [
  ['the in-process bus', async () => createMemoryBus({ dlq: { maxAttempts: 1, backoffMs: 1 }, logger: quiet })],
  ['Kafka', async () => createKafkaBus({
    brokers: (await kafkaServer()).brokers, clientId: 'replay-test',
    topicPrefix: `replay-${randomUUID().slice(0, 8)}.`, dlq: { maxAttempts: 1, backoffMs: 1 }, logger: quiet,
  })],
];

describe.each(buses)('replaying a dead-letter topic on %s', (_name, createBus) => {
  let bus: EventBus;
  beforeEach(async () => {
    bus = await createBus();
    await bus.ensureTopics([{ name: 'jobs', partitions: 3 }]);
  });
  afterEach(() => bus.close());

  const deadLetters = async () => (await bus.positions('nobody', 'jobs.dlq')).reduce((n, p) => n + p.end, 0);
  /** The bus as the replay sees it: each copy it sends is back in the dead-letter topic before its publish returns. */
  const failingAgainAtOnce = (): EventBus => ({
    ...bus,
    publish: async (topic, messages) => {
      const before = await deadLetters();
      await bus.publish(topic, messages);
      while ((await deadLetters()) === before) await sleep(20);
    },
  });

  it('ends at once when the dead-letter topic is empty', async () => {
    const started = Date.now();
    expect(await replayDeadLetters(bus, { topic: 'jobs', idleMs: 60_000 })).toEqual({ replayed: 0, remaining: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('replays what was dead-lettered before it started, once, and leaves a copy that failed again for the next replay', async () => {
    const handled: string[] = [];
    const worker = await bus.subscribe({
      topics: ['jobs'], groupId: 'workers', fromBeginning: true,
      handler: async (m) => { handled.push(m.key); throw new Error('still broken'); },
    });
    await worker.ready;
    // Keys of two partitions (on both buses): one is done and gets its copy back while the other is not.
    await bus.publish('jobs', [{ key: 'a', value: Buffer.from('1') }, { key: 'e', value: Buffer.from('2') }]);
    while ((await deadLetters()) < 2) await sleep(20);

    // The idle bound is far beyond the test's timeout: the replay must end because it reached its start's end.
    expect(await replayDeadLetters(failingAgainAtOnce(), { topic: 'jobs', idleMs: 600_000 })).toEqual({ replayed: 2, remaining: 0 });
    expect(handled.sort()).toEqual(['a', 'a', 'e', 'e']);
    expect(await deadLetters()).toBe(4);

    // What failed again was left, not skipped: the next replay sends it, and only it.
    expect(await replayDeadLetters(failingAgainAtOnce(), { topic: 'jobs', idleMs: 600_000 })).toEqual({ replayed: 2, remaining: 0 });
    expect(handled.sort()).toEqual(['a', 'a', 'a', 'e', 'e', 'e']);
    await worker.stop();
  });
});
