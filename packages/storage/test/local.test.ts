import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLocalStorage, StorageError } from '@rowline/storage';
import { storageContract } from './contract.js';

storageContract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'storage-'));
  return { storage: createLocalStorage(root), cleanup: () => rm(root, { recursive: true, force: true }) };
}, { largeBytes: 24 * 1024 * 1024 });

describe('local storage', () => {
  it('leaves no partial file behind an object over the size cap', async () => {
    const root = await mkdtemp(join(tmpdir(), 'storage-'));
    const s = createLocalStorage(root);
    await expect(s.put('t1/big', Readable.from([Buffer.alloc(10)]), { maxBytes: 5 })).rejects.toBeInstanceOf(StorageError);
    expect(await readdir(join(root, 't1'))).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it('writes under a hidden temporary name, so a write cut short leaves nothing beside the objects', async () => {
    const root = await mkdtemp(join(tmpdir(), 'storage-'));
    const s = createLocalStorage(root);
    const body = new PassThrough();
    const put = s.put('t1/report.xlsx', body);
    body.write(Buffer.alloc(10));
    for (let i = 0; i < 100 && (await readdir(join(root, 't1')).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const during = await readdir(join(root, 't1'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.report\.xlsx\..+\.partial$/);
    body.end();
    await put;
    expect(await readdir(join(root, 't1'))).toEqual(['report.xlsx']);
    await rm(root, { recursive: true, force: true });
  });
});
