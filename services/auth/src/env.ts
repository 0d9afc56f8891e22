import { z } from 'zod';
import { baseEnv } from '@rowline/kit';

export const authEnv = baseEnv.extend({
  JWT_ISSUER: z.string().default('rowline-auth'),
  JWT_AUDIENCE: z.string().default('rowline-api'),
});
export type AuthEnv = z.infer<typeof authEnv>;
