import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createIntervalCommitter, type PartitionOffset } from '../src/kafka/interval-committer.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Timers are late on a busy machine: wait for the condition rather than for a time. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(10);
}

describe('the interval committer', () => {
  it('commits the next offset of each partition once per interval, however many messages were handled', async () => {
    const commits: PartitionOffset[][] = [];
    const c = createIntervalCommitter({ intervalMs: 40, logger, commit: async (o) => void commits.push(o) });
    for (let i = 0; i < 50; i++) c.mark('t', i % 2, String(i));
    await until(() => commits.length > 0);
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '49' }, { topic: 't', partition: 1, offset: '50' }]]);
    // Nothing new handled: later ticks send nothing.
    await sleep(150);
    expect(commits).toHaveLength(1);
    await c.drain();
  });

  it('on drain starts no new handler, waits for the running ones and commits what they handled', async () => {
    const commits: PartitionOffset[][] = [];
    const c = createIntervalCommitter({ intervalMs: 60_000, logger, commit: async (o) => void commits.push(o) });
    expect(c.begin()).toBe(true);
    const drained = c.drain();
    expect(c.begin()).toBe(false);
    await sleep(10);
    expect(commits).toEqual([]);
    c.mark('t', 0, '7');
    c.end();
    await drained;
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '8' }]]);
  });

  it('keeps offsets whose commit failed for the next try, and forgets partitions it no longer owns', async () => {
    const commits: PartitionOffset[][] = [];
    let fail = true;
    const c = createIntervalCommitter({
      intervalMs: 30, logger,
      commit: async (o) => { if (fail) throw new Error('rebalance in progress'); commits.push(o); },
    });
    c.mark('t', 0, '1');
    c.mark('t', 1, '1');
    await sleep(45);
    c.retain({ t: [1] });
    fail = false;
    await until(() => commits.length > 0);
    expect(commits).toEqual([[{ topic: 't', partition: 1, offset: '2' }]]);
    await c.drain();
  });
});
