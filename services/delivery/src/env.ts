import { z } from 'zod';
import { baseEnv, csv } from '@rowline/kit';

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
}).refine((env) => !(env.NODE_ENV === 'production' && env.DELIVERY_DEV_ALLOWED_HOSTS?.length), {
  path: ['DELIVERY_DEV_ALLOWED_HOSTS'],
  message: 'must be empty in production',
  // Run even when another variable failed, so every problem is reported at once.
  when: (payload) => typeof (payload.value as { NODE_ENV?: unknown }).NODE_ENV === 'string',
});
export type DeliveryEnv = z.infer<typeof deliveryEnv>;
