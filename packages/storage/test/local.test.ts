import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createLocalStorage, StorageError } from '@rowline/storage';

const storage = async () => { const root = await mkdtemp(join(tmpdir(), 'storage-')); return { root, s: createLocalStorage(root) }; };

describe('local storage', () => {
  it('stores an object and reads back the same bytes with size and sha256', async () => {
    const { s } = await storage();
    const put = await s.put('t1/files/a.csv', Readable.from(['a,b\n', '1,2\n']));
    expect(put.size).toBe(8);
    expect(put.sha256).toBe(createHash('sha256').update('a,b\n1,2\n').digest('hex'));
    expect(await text(await s.get('t1/files/a.csv'))).toBe('a,b\n1,2\n');
    expect(await s.stat('t1/files/a.csv')).toEqual({ size: 8 });
  });

  it('refuses an object over the size cap and leaves nothing behind', async () => {
    const { root, s } = await storage();
    await expect(s.put('t1/big', Readable.from([Buffer.alloc(10)]), { maxBytes: 5 })).rejects.toBeInstanceOf(StorageError);
    expect(await s.stat('t1/big')).toBeNull();
    expect(await readdir(join(root, 't1'))).toEqual([]);
  });

  it('refuses keys that could escape the root', async () => {
    const { s } = await storage();
    for (const key of ['../x', 't1/../../etc/passwd', '/abs', 't1//x', '']) {
      await expect(s.put(key, Readable.from(['x']))).rejects.toMatchObject({ code: 'BAD_KEY' });
    }
  });

  it('answers NOT_FOUND for a missing object', async () => {
    const { s } = await storage();
    await expect(s.get('t1/none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
