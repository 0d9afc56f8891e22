import { z } from 'zod';
import { baseEnv, csv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';
import { parseRetrySchedule } from './domain/retry-policy.js';

/** Standard base64 of exactly 32 random bytes, e.g. `openssl rand -base64 32`. */
const aes256Key = z.string().trim().transform((value, ctx) => {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32 || key.toString('base64') !== value) {
    ctx.addIssue({ code: 'custom', message: 'must be the base64 of 32 bytes (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return key;
});

export const deliveryEnv = baseEnv.extend({
  DELIVERY_SECRET_KEY: aes256Key,
  /** Hosts a destination may name although they are local or private, over plain http too. Development only. */
  DELIVERY_DEV_ALLOWED_HOSTS: z.string().optional().transform(csv),
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls: where an artifact is, its download link)'),
  WORKFLOWS_URL: z.string().url().describe('Base URL of the workflows service (internal call: attachDestination checks the workflow is the caller\'s)'),
  /** Where the engine workers wrote the artifacts: STORAGE_DRIVER (local|s3), STORAGE_DIR, S3_* (see @rowline/storage). */
  ...storageEnv.shape,
  /** `attempts,base,cap`: full-jitter exponential backoff; default 8 attempts, 1 min base, 3 h cap. */
  DELIVERY_RETRY_SCHEDULE: z.string().default('8,1m,3h').transform((value, ctx) => {
    try { return parseRetrySchedule(value); } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  /**
   * `in-process` (default): the subgraph process also consumes executions.events and runs the workers.
   * `off`: the subgraph only; `dist/worker.js` (the delivery-worker Deployment) runs them.
   */
  DELIVERY_RUNTIME: z.enum(['in-process', 'off']).default('in-process'),
  DELIVERY_WORKERS: z.coerce.number().int().min(1).max(64).default(2),
  DELIVERY_POLL_MS: z.coerce.number().int().min(50).default(1000),
  DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** The platform's SMTP server for EMAIL destinations, e.g. smtp://user:pass@mail:587; none: EMAIL deliveries fail. */
  DELIVERY_SMTP_URL: z.string().url().optional(),
  DELIVERY_SMTP_FROM: z.string().default('Rowline <deliveries@rowline.invalid>'),
}).refine((env) => !(env.NODE_ENV === 'production' && env.DELIVERY_DEV_ALLOWED_HOSTS?.length), {
  path: ['DELIVERY_DEV_ALLOWED_HOSTS'],
  message: 'must be empty in production',
  // Run even when another variable failed, so every problem is reported at once.
  when: (payload) => typeof (payload.value as { NODE_ENV?: unknown }).NODE_ENV === 'string',
});
export type DeliveryEnv = z.infer<typeof deliveryEnv>;
