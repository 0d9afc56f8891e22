import type { Readable } from 'node:stream';

export type StoredObject = { key: string; size: number; sha256: string };

/**
 * Where file bytes live. Every service and worker reads and writes through this interface (a local
 * directory in the embedded mode, S3-compatible storage when distributed), never through another
 * service's disk.
 */
export interface Storage {
  /** Streams `body` to `key`; the object appears only once complete (a crash never leaves half a file). */
  put(key: string, body: Readable, opts?: { maxBytes?: number; contentType?: string }): Promise<StoredObject>;
  get(key: string): Promise<Readable>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  /**
   * Deletes what writes cut short left behind (a process killed mid-write), untouched for `olderThanMs`;
   * answers how many. Local storage only: an S3 upload that never completed leaves no object, and its
   * multipart parts are the bucket's lifecycle rule's to abort (AbortIncompleteMultipartUpload).
   */
  sweepIncomplete?(olderThanMs: number): Promise<number>;
}

export class StorageError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'TOO_LARGE' | 'BAD_KEY', message: string) {
    super(message);
    this.name = 'StorageError';
  }
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Keys are built by services from ids, never from user input; this guards the invariant anyway. */
export function assertKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.') || key.length > 512) {
    throw new StorageError('BAD_KEY', `Invalid storage key: ${JSON.stringify(key)}`);
  }
}
