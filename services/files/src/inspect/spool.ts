import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Storage } from '@rowline/storage';

/**
 * Runs `fn` on a private local copy of a stored object. Zip inspection needs random access (the central
 * directory is at the end), which the storage interface does not offer; the copy is removed afterwards
 * whatever happens.
 */
export async function withLocalCopy<T>(storage: Storage, key: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'rowline-files-'));
  try {
    const path = join(dir, 'object');
    await pipeline(await storage.get(key), createWriteStream(path, { mode: 0o600 }));
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
