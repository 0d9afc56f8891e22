import { z } from 'zod';
import { baseEnv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';

export const executionsEnv = baseEnv.extend({
  WORKFLOWS_URL: z.string().url().describe('Base URL of the workflows service (internal calls)'),
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls)'),
});

export const workerEnv = baseEnv.omit({ PORT: true }).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(0),
  FILES_URL: z.string().url(),
  /** Where file bytes live: STORAGE_DRIVER (local|s3), STORAGE_DIR, S3_* (see @rowline/storage). */
  ...storageEnv.shape,
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(1),
  LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
});
