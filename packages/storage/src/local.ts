import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createMeter } from './meter.js';
import { assertKey, StorageError, type Storage, type StoredObject } from './storage.js';

/** A directory on local disk; writes go to a hidden temporary name and are renamed when complete. */
export function createLocalStorage(root: string): Storage {
  const pathOf = (key: string) => { assertKey(key); return join(root, key); };
  return {
    async put(key, body, opts = {}): Promise<StoredObject> {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      // A dot-file beside the target (a rename within one directory is atomic): a process killed mid-write
      // leaves it hidden from listings of the directory, never beside the objects under a name of their kind.
      const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
      const meter = createMeter(opts.maxBytes);
      try {
        await pipeline(body, meter.stream, createWriteStream(temp));
        await rename(temp, target);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return { key, size: meter.size(), sha256: meter.sha256() };
    },
    async get(key): Promise<Readable> {
      // Opened at once, not looked up first: one call to the threadpool fewer per read, and an object deleted
      // between a lookup and the open cannot turn into a failing stream.
      const handle = await open(pathOf(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new StorageError('NOT_FOUND', `No object at ${key}`);
        throw err;
      });
      return handle.createReadStream();
    },
    async stat(key) {
      const s = await stat(pathOf(key)).catch(() => null);
      return s ? { size: s.size } : null;
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async sweepIncomplete(olderThanMs) {
      // A temporary file's mtime moves with every write, so one untouched this long has no writer left.
      const before = Date.now() - olderThanMs;
      // Walked as a stream, not listed whole: a store of millions of objects is never held in memory at once.
      const dir = await opendir(root, { recursive: true }).catch(() => null);
      if (!dir) return 0;
      let swept = 0;
      for await (const entry of dir) {
        if (!entry.isFile() || !PARTIAL.test(entry.name)) continue;
        const path = join(entry.parentPath, entry.name);
        const s = await stat(path).catch(() => null);
        if (!s || s.mtimeMs >= before) continue;
        await rm(path, { force: true });
        swept++;
      }
      return swept;
    },
  };
}

/** The temporary name `put` writes under: `.<name>.<uuid>.partial`. */
const PARTIAL = /^\..+\.[0-9a-f-]{36}\.partial$/;
