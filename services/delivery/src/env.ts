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

type DevHostsEnv = { NODE_ENV?: string; DELIVERY_DEV_ALLOWED_HOSTS?: string[] };

/** Development hosts open the SSRF guard (see host-policy.ts): refused in production, wherever they are read. */
export const DEV_HOSTS_NOT_IN_PRODUCTION: [(env: DevHostsEnv) => boolean, { path: string[]; message: string; when: (payload: { value: unknown }) => boolean }] = [
  (env) => !(env.NODE_ENV === 'production' && env.DELIVERY_DEV_ALLOWED_HOSTS?.length),
  {
    path: ['DELIVERY_DEV_ALLOWED_HOSTS'],
    message: 'must be empty in production',
    // Run even when another variable failed, so every problem is reported at once.
    when: (payload) => typeof (payload.value as DevHostsEnv).NODE_ENV === 'string',
  },
];

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
  /** The platform's SMTP server for EMAIL destinations, e.g. smtp://user:pass@mail:587; none: no EMAIL destination is created, enabled or attached, and those that exist fail their deliveries. */
  DELIVERY_SMTP_URL: z.string().url().optional(),
  DELIVERY_SMTP_FROM: z.string().default('Rowline <deliveries@rowline.invalid>'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(55_000)
    .describe('How long SIGTERM lets the deliveries in flight end before the worker exits (below the pod\'s grace period, 60 s in k8s/)'),
}).refine(...DEV_HOSTS_NOT_IN_PRODUCTION);
export type DeliveryEnv = z.infer<typeof deliveryEnv>;

/**
 * The settings of deliveries themselves, with the same names, defaults and checks: what the embedded mode
 * reads too. The rest of deliveryEnv (the other services' URLs, storage, DELIVERY_RUNTIME) it wires itself.
 */
export const deliverySettingsEnv = z.object(deliveryEnv.shape).pick({
  DELIVERY_DEV_ALLOWED_HOSTS: true, DELIVERY_RETRY_SCHEDULE: true, DELIVERY_WORKERS: true, DELIVERY_POLL_MS: true,
  DELIVERY_TIMEOUT_MS: true, DELIVERY_SMTP_URL: true, DELIVERY_SMTP_FROM: true,
});

/** What createDeliveryService (and the worker process) take from those settings. */
export function deliverySettings(env: z.infer<typeof deliverySettingsEnv> & { NODE_ENV: string }) {
  return {
    hosts: { production: env.NODE_ENV === 'production', devAllowedHosts: env.DELIVERY_DEV_ALLOWED_HOSTS },
    workers: { concurrency: env.DELIVERY_WORKERS, pollMs: env.DELIVERY_POLL_MS },
    retrySchedule: env.DELIVERY_RETRY_SCHEDULE,
    transportTimeoutMs: env.DELIVERY_TIMEOUT_MS,
    smtp: env.DELIVERY_SMTP_URL ? { url: env.DELIVERY_SMTP_URL, from: env.DELIVERY_SMTP_FROM } : undefined,
  };
}
export type DeliverySettings = ReturnType<typeof deliverySettings>;
