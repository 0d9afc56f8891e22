import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@rowline/kit';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { createPreviewer } from '../src/domain/preview.js';
import type { WorkflowsDomain } from '../src/domain/workflows.js';

/**
 * A preview whose file's stream fails partway through the read, after storage opened it (a connection reset
 * mid-body, a disk read error): real local storage, the fault injected by a Storage around it whose `get` gives
 * the real file stream destroyed with an error once it has given `after` bytes.
 */
const principal = { kind: 'user', tenantId: '00000000-0000-4000-8000-000000000001', subject: 'ada', role: 'OWNER', scopes: [] } as unknown as Principal;
const SALES_ID = '00000000-0000-4000-8000-000000000002';
const PRICES_ID = '00000000-0000-4000-8000-000000000003';
const RAW = 'read ECONNRESET while reading s3://rowline-prod-bucket/tenant/files/secret';

let dir: string;
let storage: Storage;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowline-preview-storage-'));
  storage = createLocalStorage(dir);
  // More than the engine's 64 KB head: a lookup file, read whole, breaks after it, while its rows are read; a
  // preview reads its input's first rows only, so that break falls within the head.
  await storage.put('t/files/sales', Readable.from([`sku,qty\n${Array.from({ length: 20_000 }, (_, i) => `S${i % 50},${i % 9}`).join('\n')}\n`]));
  await storage.put('t/files/prices', Readable.from([`sku,price\n${Array.from({ length: 20_000 }, (_, i) => `S${i},${i % 100}`).join('\n')}\n`]));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function breaking(inner: Storage, key: string, after: number): Storage {
  return {
    put: inner.put.bind(inner), stat: inner.stat.bind(inner), delete: inner.delete.bind(inner),
    async get(k) {
      const source = await inner.get(k);
      if (k !== key) return source;
      let given = 0;
      const out = new PassThrough();
      source.on('data', (chunk: Buffer) => {
        if (given + chunk.length <= after) {
          given += chunk.length;
          if (!out.write(chunk)) source.pause();
          return;
        }
        out.write(chunk.subarray(0, after - given));
        source.destroy();
        out.destroy(new Error(RAW));
      });
      out.on('drain', () => source.resume());
      source.on('end', () => out.end());
      return out;
    },
  };
}

const previewer = (s: Storage) => createPreviewer({
  domain: {} as WorkflowsDomain, storage: s,
  file: async (_, id) => id === SALES_ID
    ? { id, name: 'Sales.csv', status: 'READY', storageKey: 't/files/sales' }
    : { id, name: 'prices.csv', status: 'READY', storageKey: 't/files/prices' },
});
const LOOKUP = [{ type: 'lookup', params: { from: { file: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } }];

describe('a preview whose file\'s storage stream fails partway through the read', () => {
  it('answers UNAVAILABLE, to try again, naming the input and not what storage said, where it answered BAD_USER_INPUT with it', async () => {
    const failure = await previewer(breaking(storage, 't/files/sales', 20_000))({} as never, principal, { steps: LOOKUP, fileId: SALES_ID, files: [{ key: 'prices', fileId: PRICES_ID }] })
      .catch((e: unknown) => e) as { code: string; message: string };
    expect(failure).toMatchObject({ code: 'UNAVAILABLE', message: `The input Sales.csv (${SALES_ID}) could not be read from storage; try the preview again` });
    expect(failure.message).not.toMatch(/ECONNRESET|bucket|t\/files/);
  });

  it('answers the same for a lookup file read whole, naming it by name, key and id', async () => {
    const failure = await previewer(breaking(storage, 't/files/prices', 100_000))({} as never, principal, { steps: LOOKUP, fileId: SALES_ID, files: [{ key: 'prices', fileId: PRICES_ID }] })
      .catch((e: unknown) => e) as { code: string; message: string };
    expect(failure).toMatchObject({ code: 'UNAVAILABLE', message: `The file prices.csv given as "prices" (${PRICES_ID}) could not be read from storage; try the preview again` });
  });

  it('previews the same files when storage gives them whole', async () => {
    const result = await previewer(storage)({} as never, principal, { steps: LOOKUP, fileId: SALES_ID, files: [{ key: 'prices', fileId: PRICES_ID }], limit: 3 });
    expect(result.steps[0]!.sheets[0]!.rows).toEqual([['S0', 0, 0], ['S1', 1, 1], ['S2', 2, 2]]);
  });

  it('still answers a file unreadable in itself as BAD_USER_INPUT (not worth trying again)', async () => {
    await storage.put('t/files/cut', Readable.from([Buffer.from('PK\u0003\u0004 not a whole zip')]));
    const cut = createPreviewer({ domain: {} as WorkflowsDomain, storage, file: async (_, id) => ({ id, name: 'Sales.xlsx', status: 'READY', storageKey: 't/files/cut' }) });
    const failure = await cut({} as never, principal, { steps: [], fileId: SALES_ID }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'BAD_USER_INPUT', details: { engineCode: expect.stringMatching(/^(CORRUPT_FILE|UNSUPPORTED_FILE)$/) } });
  });
});
