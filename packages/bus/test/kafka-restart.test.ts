import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { createKafkaBus, type EventBus } from '@rowline/bus';
// A broker of this file's own (scripts/kafka), since it is restarted: the run's shared broker serves other files.
import { findJava, provision } from '../../../scripts/kafka/provision.mjs';
import { startBroker } from '../../../scripts/kafka/server.mjs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * A broker down for longer than kafkajs's retries crashes every consumer, which kafkajs restarts as a new
 * member; the coordinator, back with the group as it was, waited for the former member's session to time out
 * (30 s by default) before the group went on. The subscriber rejoins as the member it was (member-rejoin.ts).
 */
describe('a kafka subscriber across a broker restart', () => {
  let broker: { brokers: string[]; stop(): Promise<void>; restart(opts?: { downMs?: number }): Promise<void> };
  let admin: Admin;
  const buses: EventBus[] = [];

  beforeAll(async () => {
    broker = await startBroker({ java: findJava(), libs: provision() });
    admin = new Kafka({ clientId: 'bus-restart-test', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close().catch(() => undefined)));
    await admin?.disconnect();
    await broker?.stop();
  });

  async function members(group: string): Promise<string[]> {
    const { groups: [described] } = await admin.describeGroups([group]);
    return (described?.members ?? []).map((m) => m.memberId);
  }

  // Two members: one leads the group and one follows; the coordinator answers a follower rejoining with unchanged
  // metadata differently (the current generation, no rebalance) from the leader.
  it.each([['partition', 1], ['key', 1], ['key', 2]] as const)('rejoins its group as the member it was, and goes on without waiting for its former session (%s order, %i member(s))', async (ordering, count) => {
    const logs: Array<{ msg?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    const topic = `restart-${randomUUID()}`;
    const groupId = `restart-${randomUUID()}`;
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      // The default session, which the group waited out without the rejoin.
      const bus = createKafkaBus({ brokers: broker.brokers, clientId: `bus-restart-${ordering}-${i}`, sessionTimeoutMs: 30_000, logger });
      buses.push(bus);
      if (i === 0) await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const sub = await bus.subscribe({
        topics: [topic], groupId, fromBeginning: true, ordering,
        handler: async (m) => { seen.push(Buffer.from(m.value).toString('utf8')); },
      });
      await sub.ready;
    }
    await until(`${count} member(s) in the group`, async () => (await members(groupId)).length === count, 30_000);
    const bus = buses.at(-1)!;
    await bus.publish(topic, [{ key: 'a', value: Buffer.from('before') }]);
    await until('the message before the restart', () => seen.includes('before'), 30_000);
    const before = (await members(groupId)).sort();

    // Down for longer than the consumers' retries: each consumer crashes, and kafkajs starts it again.
    await broker.restart({ downMs: 5_000 });
    // Keys enough that both partitions (and so, with two members, both members) get some.
    const after = Array.from({ length: 8 }, (_, i) => `after ${i}`);
    await bus.publish(topic, after.map((value, i) => ({ key: `k${i}`, value: Buffer.from(value) })));
    // Without the rejoin this took the former members' whole session (30 s) and then some.
    await until('the messages after the restart', () => after.every((v) => seen.includes(v)), 60_000);

    expect(logs.filter((l) => l.msg === 'kafka consumer crashed').length, 'the consumers crashed and were restarted (the case under test)').toBeGreaterThanOrEqual(count);
    expect((await members(groupId)).sort()).toEqual(before);
  }, 180_000);
});
