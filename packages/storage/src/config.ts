import { z } from 'zod';
import { createLocalStorage } from './local.js';
import { createS3Storage } from './s3.js';
import type { Storage } from './storage.js';

/**
 * The storage settings every process that touches file bytes reads (files service, engine workers,
 * workflows previews). Merge into a service's env schema: `baseEnv.extend(storageEnv.shape)`.
 */
export const storageEnv = z.object({
  /** `local` (a directory; the embedded mode and single-machine setups) or `s3` (any S3-compatible store). */
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  STORAGE_DIR: z.string().min(1).default('.data/storage'),
  S3_BUCKET: z.string().min(3).optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  S3_PREFIX: z.string().optional(),
  S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(5_000).default(8),
});
export type StorageEnv = z.infer<typeof storageEnv>;

/** A Storage the process must close on shutdown (the S3 client keeps sockets open). */
export type ConfiguredStorage = { storage: Storage; close(): void; describe: string };

/** Builds the configured driver; `s3` without a bucket, or with half a key pair, is a configuration error. */
export function createStorageFromEnv(env: StorageEnv): ConfiguredStorage {
  if (env.STORAGE_DRIVER === 'local') {
    return { storage: createLocalStorage(env.STORAGE_DIR), close: () => undefined, describe: `local directory ${env.STORAGE_DIR}` };
  }
  if (!env.S3_BUCKET) throw new Error('STORAGE_DRIVER=s3 needs S3_BUCKET');
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together (or neither, for the default AWS credential chain)');
  }
  const storage = createS3Storage({
    bucket: env.S3_BUCKET,
    region: env.S3_REGION,
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    ...(env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } }
      : {}),
    ...(env.S3_FORCE_PATH_STYLE !== undefined ? { forcePathStyle: env.S3_FORCE_PATH_STYLE } : {}),
    ...(env.S3_PREFIX ? { prefix: env.S3_PREFIX } : {}),
    partSize: env.S3_PART_SIZE_MB * 1024 * 1024,
  });
  return { storage, close: () => storage.close(), describe: `s3 bucket ${env.S3_BUCKET}${env.S3_ENDPOINT ? ` at ${env.S3_ENDPOINT}` : ''}` };
}
