import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { StorageError } from './storage.js';

/** A pass-through that counts and hashes the bytes, and fails the stream once they pass `maxBytes`. */
export function createMeter(maxBytes?: number): { stream: Transform; size(): number; sha256(): string } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (maxBytes !== undefined && size > maxBytes) {
        done(new StorageError('TOO_LARGE', `Object exceeds ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, size: () => size, sha256: () => hash.digest('hex') };
}
