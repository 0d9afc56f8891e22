import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLocalStorage, StorageError } from '@rowline/storage';
import { storageContract } from './contract.js';

storageContract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'storage-'));
  return { storage: createLocalStorage(root), cleanup: () => rm(root, { recursive: true, force: true }) };
}, { largeBytes: 24 * 1024 * 1024 });

describe('local storage', () => {
  it('answers NOT_FOUND for a key through an object (a path through a file), and other open errors as they are', async () => {
    const root = await mkdtemp(join(tmpdir(), 'storage-'));
    const s = createLocalStorage(root);
    await s.put('t1/leaf', Readable.from(['x']));
    await expect(s.get('t1/leaf/below')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A directory where an object is expected is no missing object: its error is not hidden as one.
    await mkdir(join(root, 't1', 'dir'));
    const stream = await s.get('t1/dir');
    await expect(stream.toArray()).rejects.toMatchObject({ code: 'EISDIR' });
    await rm(root, { recursive: true, force: true });
  });

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
    for (const end = Date.now() + 20_000; Date.now() < end && (await readdir(join(root, 't1')).catch(() => [])).length === 0;) await new Promise((r) => setTimeout(r, 5));
    const during = await readdir(join(root, 't1'));
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.report\.xlsx\..+\.partial$/);
    body.end();
    await put;
    expect(await readdir(join(root, 't1'))).toEqual(['report.xlsx']);
    await rm(root, { recursive: true, force: true });
  });

  it('sweeps the temporary files of writes cut short once they lay untouched long enough, and nothing else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'storage-'));
    const s = createLocalStorage(root);
    await s.put('t1/artifacts/r1/out.csv', Readable.from([Buffer.from('a,b\n')]));
    // What a worker killed mid-write leaves (put's own temporary name), an hour old; and one being written now.
    const dir = join(root, 't1/artifacts/r2');
    await mkdir(dir, { recursive: true });
    const stale = join(dir, `.out.csv.${randomUUID()}.partial`);
    const fresh = join(dir, `.summary.xlsx.${randomUUID()}.partial`);
    await writeFile(stale, 'half');
    await writeFile(fresh, 'half');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    // An object named like a temporary file is still an object: keys cannot start with a dot, so none is.
    expect(await s.sweepIncomplete!(30 * 60_000)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([basename(fresh)]);
    expect(await s.stat('t1/artifacts/r1/out.csv')).toEqual({ size: 4 });
    await rm(root, { recursive: true, force: true });
  });
});
