import { z } from 'zod';
import { baseEnv } from '@rowline/kit';

export const authEnv = baseEnv.extend({
  JWT_ISSUER: z.string().default('rowline-auth'),
  JWT_AUDIENCE: z.string().default('rowline-api'),
  /** Keys the HMAC of stored API keys; derived from INTERNAL_TOKEN_SECRET when unset. */
  API_KEY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});
export type AuthEnv = z.infer<typeof authEnv>;
