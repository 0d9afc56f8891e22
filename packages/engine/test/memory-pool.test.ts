import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../src/flow/budget.js';
import { EngineError, MemoryPool, previewWorkflow } from '../src/index.js';
import { csv, run } from './helpers.js';

const big = (n: number) => 'id,g,v\n' + Array.from({ length: n }, (_, i) => `${i},${i % 7},${i % 100}`).join('\n');
/** A pool of 1,000 bytes and two runs sharing it, each allowed 10,000 on its own. */
function twoRuns() {
  const pool = new MemoryPool(1000);
  return { pool, a: new MemoryBudget(100, 10_000, pool), b: new MemoryBudget(100, 10_000, pool) };
}

const SORT = [{ type: 'sort', params: { by: [{ column: 'v' }] } }];

describe('MemoryPool: what the runs of one process hold together', () => {
  it('counts every run\'s reservations and gets back what each releases', () => {
    const { pool, a, b } = twoRuns();
    a.reserve(1, 300, 'a');
    b.reserve(1, 500, 'b');
    expect(pool.usedBytes).toBe(800);
    a.release(1, 300);
    expect(pool.usedBytes).toBe(500);
    expect(pool.peakBytes).toBe(800);
  });

  it('refuses with BUSY a reservation past it while other runs hold part of it, and leaves the counts as they were', () => {
    const { pool, a, b } = twoRuns();
    a.reserve(1, 700, 'a');
    b.reserve(1, 200, 'b');
    const err = (() => { try { b.reserve(1, 200, 'the sort of "Sales"'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'BUSY', message: expect.stringMatching(/^the sort of "Sales" needs more memory than is free now: other runs hold 1 KB of the 1 KB this process gives its runs$/) });
    expect(pool.usedBytes).toBe(900);
    // Once the other run is done, the same reservation fits.
    a.close();
    b.reserve(1, 200, 'b');
    expect(pool.usedBytes).toBe(400);
  });

  it('refuses with TOO_LARGE a run that would pass it alone: it never fits this process', () => {
    const pool = new MemoryPool(1000);
    const a = new MemoryBudget(100, 10_000, pool);
    a.reserve(1, 800, 'a');
    expect(() => a.reserve(1, 300, 'the aggregate of "Sales"')).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(pool.usedBytes).toBe(800);
  });

  it('refuses with TOO_LARGE, not BUSY, a reservation that would pass the whole pool with what the run holds, whatever others hold', () => {
    const { pool, a: other, b: a } = twoRuns();
    other.reserve(0, 1, 'other');
    a.reserve(0, 600, 'a');
    expect(() => a.reserve(0, 500, 'the sort of "Sales"')).toThrow(expect.objectContaining({
      code: 'TOO_LARGE', message: 'the sort of "Sales" needs more than the 1 KB of memory this process gives its runs',
    }));
    expect(pool.usedBytes).toBe(601);
  });

  it('does not hold a reservation refused by the run\'s own bound', () => {
    const a = new MemoryBudget(100, 500);
    a.reserve(1, 400, 'a');
    expect(() => a.reserve(1, 200, 'a')).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(() => a.reserve(1, 100, 'a')).not.toThrow();
    const rows = new MemoryBudget(2, 10_000);
    rows.reserve(2, 0, 'r');
    expect(() => rows.reserve(1, 0, 'r')).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    rows.release(1, 0);
    expect(() => rows.reserve(1, 0, 'r')).not.toThrow();
  });

  it('keeps the run\'s own bound first: past it, TOO_LARGE whatever the pool holds', () => {
    const pool = new MemoryPool(10_000);
    const a = new MemoryBudget(100, 500, pool);
    expect(() => a.reserve(1, 600, 'x')).toThrow(expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringContaining('maxBytesInMemory') }));
  });

  it('gets back what a closed run still held, and nothing that run reserves after', () => {
    const pool = new MemoryPool(1000);
    const a = new MemoryBudget(100, 10_000, pool);
    a.reserve(3, 600, 'a');
    a.release(1, 100);
    a.close();
    expect(pool.usedBytes).toBe(0);
    // A stopped run's steps unwinding after the close: neither their reservations nor their releases count.
    a.reserve(1, 900, 'late');
    a.release(2, 500);
    expect(pool.usedBytes).toBe(0);
  });

  it('gives back no more than a run took, whatever it releases', () => {
    const { pool, a, b } = twoRuns();
    b.reserve(1, 400, 'b');
    a.reserve(1, 100, 'a');
    a.release(1, 300);
    expect(pool.usedBytes).toBe(400);
  });

  it('wakes the runs waiting for memory when a run gives some back, and looks again after a while without', async () => {
    const pool = new MemoryPool(1000);
    const a = new MemoryBudget(100, 10_000, pool);
    a.reserve(0, 900, 'a');
    let woken = false;
    const waiting = pool.released(60_000).then(() => { woken = true; });
    expect(pool.waitingCount).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(woken).toBe(false);
    a.close();
    await waiting;
    expect(pool.waitingCount).toBe(0);
    const t0 = performance.now();
    await pool.released(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(40);
    expect(pool.waitingCount).toBe(0);
  });

  it('refuses a size that is not positive', () => {
    expect(() => new MemoryPool(0)).toThrow(RangeError);
    expect(() => new MemoryPool(Number.NaN)).toThrow(RangeError);
  });
});

describe('runWorkflow with a memory pool', () => {
  it('gives the pool back everything once a run ends, succeeded or failed', async () => {
    const pool = new MemoryPool(1024 * 1024 * 1024);
    const ok = await run(SORT, csv(big(2000)), { memoryPool: pool });
    expect(ok.result.steps[0]).toMatchObject({ status: 'SUCCEEDED', rowsOut: 2000 });
    expect(pool.peakBytes).toBeGreaterThan(0);
    expect(pool.usedBytes).toBe(0);
    await expect(run([...SORT, { type: 'filter', params: { where: { column: 'nope', op: 'eq', value: 1 } } }], csv(big(2000)), { memoryPool: pool }))
      .rejects.toMatchObject({ code: 'MISSING_COLUMN' });
    expect(pool.usedBytes).toBe(0);
  });

  it('fails a run with BUSY, naming the step, while other runs hold the pool, and leaves their share as it was', async () => {
    const pool = new MemoryPool(64 * 1024);
    const other = new MemoryBudget(undefined, undefined, pool);
    other.reserve(0, 32 * 1024, 'another run');
    const err = await run(SORT, csv(big(2000)), { memoryPool: pool }).catch((e: EngineError) => e);
    expect(err).toMatchObject({ code: 'BUSY', step: 0, message: expect.stringMatching(/^sort of "Sales" needs more memory than is free now: other runs hold/) });
    expect(pool.usedBytes).toBe(32 * 1024);
  });

  it('gets back everything a stopped run held, once its steps have stopped', async () => {
    const pool = new MemoryPool(1024 * 1024 * 1024);
    const ac = new AbortController();
    // Stopped as soon as the sort holds rows.
    const watch = setInterval(() => { if (pool.usedBytes > 0) ac.abort(); }, 1);
    try {
      await expect(run(SORT, csv(big(50_000)), { memoryPool: pool, signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      clearInterval(watch);
    }
    expect(pool.peakBytes).toBeGreaterThan(0);
    await expect.poll(() => pool.usedBytes, { timeout: 10_000 }).toBe(0);
  });

  it('closes an input that finished opening after the run was stopped', async () => {
    const ac = new AbortController();
    let stream: Readable | undefined;
    const input = {
      fileName: 'late.csv',
      open: async () => {
        await new Promise((r) => setTimeout(r, 200));
        stream = Readable.from([Buffer.from(big(20_000))]);
        return stream;
      },
    };
    setTimeout(() => ac.abort(), 50);
    await expect(run(SORT, input, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => stream?.destroyed, { timeout: 5_000 }).toBe(true);
  });

  it('fails a run with TOO_LARGE when it alone needs more than the pool', async () => {
    const pool = new MemoryPool(64 * 1024);
    await expect(run(SORT, csv(big(2000)), { memoryPool: pool })).rejects.toMatchObject({ code: 'TOO_LARGE', step: 0 });
    expect(pool.usedBytes).toBe(0);
  });
});

describe('previewWorkflow with a memory pool', () => {
  it('counts a preview\'s holding against it, fails it with BUSY while others hold the rest, and gives it all back however it ends', async () => {
    const pool = new MemoryPool(1024 * 1024 * 1024);
    const ok = await previewWorkflow({ steps: SORT, input: csv(big(2000)), limit: 2000, memoryPool: pool });
    expect(ok.steps[0]).toMatchObject({ rowsOut: 2000 });
    expect(pool.peakBytes).toBeGreaterThan(0);
    expect(pool.usedBytes).toBe(0);

    const small = new MemoryPool(64 * 1024);
    const other = new MemoryBudget(undefined, undefined, small);
    other.reserve(0, 32 * 1024, 'another preview');
    await expect(previewWorkflow({ steps: SORT, input: csv(big(2000)), limit: 2000, memoryPool: small }))
      .rejects.toMatchObject({ code: 'BUSY', step: 0 });
    expect(small.usedBytes).toBe(32 * 1024);
    other.close();
    await expect(previewWorkflow({ steps: SORT, input: csv(big(20_000)), limit: 20_000, memoryPool: small }))
      .rejects.toMatchObject({ code: 'TOO_LARGE', step: 0 });
    expect(small.usedBytes).toBe(0);
  });
});
