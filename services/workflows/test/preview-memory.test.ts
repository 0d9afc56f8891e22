import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPool } from '@rowline/engine';
import { startPreviewPlatform, type PreviewPlatform, type PreviewTenant } from './support/platform.js';

/**
 * The memory the workflows service gives its previews together (PREVIEW_MEMORY_MB): real previews through the
 * gateway and the service, on a small pool the test keeps, so that it can look at what the previews hold and
 * stand for other previews holding part of it.
 */
const POOL_BYTES = 4 * 1024 * 1024;
const pool = new MemoryPool(POOL_BYTES);

let p: PreviewPlatform;
let acme: PreviewTenant;
let salesId: string;
let pricesId: string;
let hugeId: string;
let midId: string;

const PREVIEW = `query($i: PreviewWorkflowInput!) { previewWorkflow(input: $i) { steps { index type rowsIn rowsOut sheets { name rows } } } }`;
const LOOKUP = [
  { type: 'lookup', params: { sheet: 'Sales', from: { file: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } },
];
const prices = (rows: number) => `sku,price\n${Array.from({ length: rows }, (_, i) => `S${i},${i % 100}`).join('\n')}\n`;
const codesOf = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => (result.errors ?? []).map((e) => e.extensions?.code);
const preview = (fileId: string) => acme.api.request(PREVIEW, { i: { steps: LOOKUP, fileId: salesId, limit: 3, files: [{ key: 'prices', fileId }] } });

beforeAll(async () => {
  p = await startPreviewPlatform({ previewMemory: pool });
  acme = await p.tenant('Acme');
  salesId = await acme.upload('Sales.csv', 'id,sku\n1,S7\n2,S42\n3,Z-9\n');
  // A price list whose table takes about a quarter of the pool, and one that takes more than all of it.
  pricesId = await acme.upload('prices.csv', prices(5_000));
  hugeId = await acme.upload('huge.csv', prices(100_000));
  // One whose table takes over half of the pool, and whose file comes in several reads (64 KB each), so that
  // previews at once hold their tables at the same time.
  midId = await acme.upload('mid.csv', prices(25_000));
}, 60_000);
afterAll(async () => { await p?.stop(); });

describe('the memory the workflows service gives its previews together', () => {
  it('runs a preview that fits, and has all of it back once the preview answered', async () => {
    const result = await preview(pricesId);
    expect(result.errors).toBeUndefined();
    expect(result.data!.previewWorkflow.steps[0].sheets[0].rows).toEqual([[1, 'S7', 7], [2, 'S42', 42], [3, 'Z-9', null]]);
    expect(pool.peakBytes).toBeGreaterThan(POOL_BYTES / 16);
    expect(pool.peakBytes).toBeLessThan(POOL_BYTES / 2);
    expect(pool.usedBytes).toBe(0);
  });

  it('refuses a preview while other previews hold the memory it needs, UNAVAILABLE with engineCode BUSY, to try again; once they let go, it runs', async () => {
    // Other previews hold nearly all of it.
    const held = POOL_BYTES - 64 * 1024;
    expect(pool.tryTake(held)).toBe(true);
    let refused;
    try {
      refused = await preview(pricesId);
    } finally {
      pool.give(held);
    }
    expect(codesOf(refused)).toEqual(['UNAVAILABLE']);
    expect(refused.errors![0]!.message).toBe('The previews running now hold the memory this one needs; try again in a few seconds');
    expect(refused.errors![0]!.extensions).toMatchObject({ engineCode: 'BUSY', retryable: true, retryAfterSeconds: 5, step: 0 });
    expect(pool.usedBytes).toBe(0);
    // The refused preview gave back what it had taken: the same preview runs now.
    const again = await preview(pricesId);
    expect(again.errors).toBeUndefined();
    expect(pool.usedBytes).toBe(0);
  });

  it('answers a preview that alone needs more than all of it BAD_USER_INPUT with engineCode TOO_LARGE (trying again would not help)', async () => {
    const result = await preview(hugeId);
    expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions).toMatchObject({ engineCode: 'TOO_LARGE', step: 0 });
    expect(result.errors![0]!.message).toMatch(/needs more than the 4 MB of memory this process gives its runs$/);
    expect(pool.usedBytes).toBe(0);
  });

  it('shares it between previews at once: each runs or is refused BUSY (two tables fill it), none holds it after, and a later one runs', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => preview(midId)));
    for (const r of results) {
      if (r.errors) expect(r.errors[0]!.extensions).toMatchObject({ code: 'UNAVAILABLE', engineCode: 'BUSY' });
      else expect(r.data!.previewWorkflow.steps[0].sheets[0].rows).toHaveLength(3);
    }
    // Two of these tables fill the pool. How many previews overlap depends on the machine's timing, so the
    // bound is checked, not a number of refusals (the test above refuses one deterministically).
    expect(pool.peakBytes).toBeLessThanOrEqual(POOL_BYTES);
    expect(pool.usedBytes).toBe(0);
    expect((await preview(pricesId)).errors).toBeUndefined();
  });
});
