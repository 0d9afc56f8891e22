import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEV_HOSTS_NOT_IN_PRODUCTION, deliverySettingsEnv } from '@rowline/delivery';

export const embeddedEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().default(54329),
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_URL: z.string().url().optional(),
  SEED_DEMO: z.enum(['true', 'false']).default('true'),
  INTERNAL_TOKEN_SECRET: z.string().min(32).optional(),
  FILE_URL_SECRET: z.string().min(32).optional(),
  DELIVERY_SECRET_KEY: z.string().optional(),
  /** Only decides whether DELIVERY_DEV_ALLOWED_HOSTS may be set, as in the delivery service. */
  // Any value: only 'production' means anything here, and npm start ignored NODE_ENV before it was read.
  NODE_ENV: z.string().default('development'),
  // Deliveries read the delivery service's own variables (DELIVERY_DEV_ALLOWED_HOSTS, DELIVERY_SMTP_URL, ...).
  ...deliverySettingsEnv.shape,
}).refine(...DEV_HOSTS_NOT_IN_PRODUCTION);

/**
 * Secrets for the embedded mode: from the environment when given, otherwise generated once and kept in
 * the data directory, so tokens and signed links survive a restart.
 */
export async function embeddedSecrets(dataDir: string, env: z.infer<typeof embeddedEnv>) {
  const path = join(resolve(dataDir), 'secrets.json');
  await mkdir(resolve(dataDir), { recursive: true });
  const saved = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, string>) : {};
  const secrets = {
    internalToken: env.INTERNAL_TOKEN_SECRET ?? saved.internalToken ?? randomBytes(32).toString('base64url'),
    fileUrl: env.FILE_URL_SECRET ?? saved.fileUrl ?? randomBytes(32).toString('base64url'),
    deliveryKey: env.DELIVERY_SECRET_KEY ?? saved.deliveryKey ?? randomBytes(32).toString('base64'),
  };
  await writeFile(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
