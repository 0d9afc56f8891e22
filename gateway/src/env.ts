import { z } from 'zod';

export const SUBGRAPHS = ['auth', 'workflows', 'executions', 'files', 'delivery'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

export const gatewayEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  INTERNAL_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
  SUPERGRAPH_PATH: z.string().optional(),
  JWT_ISSUER: z.string().default('rowline-auth'),
  JWT_AUDIENCE: z.string().default('rowline-api'),
  JWKS_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  AUTH_URL: z.string().url(),
  WORKFLOWS_URL: z.string().url(),
  EXECUTIONS_URL: z.string().url(),
  FILES_URL: z.string().url(),
  DELIVERY_URL: z.string().url(),
  INTROSPECTION: z.enum(['true', 'false']).optional(),
  PARTNER_SUPERGRAPH_PATH: z.string().optional(),
  PARTNER_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  PARTNER_BUDGET_POINTS: z.coerce.number().int().min(1).default(1000),
  PARTNER_BUDGET_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  // The public endpoint's limits (gateway/src/limits/config.ts has the defaults and what each bounds).
  LIMITS: z.enum(['on', 'off']).default('on'),
  MAX_DEPTH: z.coerce.number().int().positive().optional(),
  MAX_ALIASES: z.coerce.number().int().min(0).optional(),
  MAX_ROOT_FIELDS: z.coerce.number().int().positive().optional(),
  MAX_TOKENS: z.coerce.number().int().positive().optional(),
  MAX_BODY_BYTES: z.coerce.number().int().positive().optional(),
  MAX_COST: z.coerce.number().int().positive().optional(),
  COST_BUDGET_PER_MINUTE: z.coerce.number().int().positive().optional(),
  ALLOW_BATCHING: z.enum(['true', 'false']).default('false'),
  SAFELIST_PATH: z.string().optional(),
  SAFELIST_ENFORCE: z.enum(['true', 'false']).default('false'),
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().optional(),
  GATEWAY_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
});
export type GatewayEnv = z.infer<typeof gatewayEnv>;
