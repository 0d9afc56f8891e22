import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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
});
