import { z } from 'zod';
import { baseEnv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';

/** Both processes move runs (the API cancels), so both release tenant slots and must agree on the limit. */
const TENANT_CONCURRENCY = z.coerce.number().int().min(0).default(8)
  .describe('RUNNING runs per tenant at most; the others wait QUEUED, oldest first (0: no limit)');

export const executionsEnv = baseEnv.extend({
  WORKFLOWS_URL: z.string().url().describe('Base URL of the workflows service (internal calls)'),
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls)'),
  EXECUTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(900_000).describe('Timeout of a run that does not ask for one'),
  TENANT_CONCURRENCY,
});

export const workerEnv = baseEnv.omit({ PORT: true }).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(0),
  FILES_URL: z.string().url(),
  /** Where file bytes live: STORAGE_DRIVER (local|s3), STORAGE_DIR, S3_* (see @rowline/storage). */
  ...storageEnv.shape,
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  ENGINE_MEMORY_MB: z.coerce.number().int().min(16).optional()
    .describe('What the runs of a worker may hold together for blocking steps (default: half of the V8 heap limit)'),
  LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  RETRY_BACKOFF_MS: z.coerce.number().int().min(0).default(500),
  CANCEL_POLL_MS: z.coerce.number().int().min(50).default(250),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  TENANT_CONCURRENCY,
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000)
    .describe('How long a silent worker keeps its partitions before the group hands them to another'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(55_000)
    .describe('How long SIGTERM waits for the runs in flight to end before the process exits (below the pod\'s grace period, 60 s in k8s/)'),
  /** Test-only: see worker/fault-points.ts. Unset in production. */
  ROWLINE_FAULT_PAUSE_AT: z.string().optional(),
  ROWLINE_FAULT_PAUSE_MS: z.coerce.number().int().min(0).optional(),
});
