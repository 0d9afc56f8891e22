import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, StorageError, type Storage, type StoredObject } from './storage.js';

/** A directory on local disk; writes go to a temporary name and are renamed when complete. */
export function createLocalStorage(root: string): Storage {
  const pathOf = (key: string) => { assertKey(key); return join(root, key); };
  return {
    async put(key, body, opts = {}): Promise<StoredObject> {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${randomUUID()}.partial`;
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (opts.maxBytes !== undefined && size > opts.maxBytes) {
            done(new StorageError('TOO_LARGE', `Object exceeds ${opts.maxBytes} bytes`));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(body, meter, createWriteStream(temp));
        await rename(temp, target);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return { key, size, sha256: hash.digest('hex') };
    },
    async get(key): Promise<Readable> {
      const path = pathOf(key);
      const s = await stat(path).catch(() => null);
      if (!s) throw new StorageError('NOT_FOUND', `No object at ${key}`);
      return createReadStream(path);
    },
    async stat(key) {
      const s = await stat(pathOf(key)).catch(() => null);
      return s ? { size: s.size } : null;
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
