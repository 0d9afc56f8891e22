/**
 * Applies one service's committed migrations and exits: the Kubernetes migrations Job runs it in the
 * service's image, before a rollout (`node /app/packages/kit/dist/migrate-main.js`, working directory
 * the service's). It loads the service by its own public entry (`./dist/index.js` of the working
 * directory: SCHEMA, entities, migrations), so kit imports no service. Services still migrate on start;
 * after this Job that is a no-op, and a failed migration fails the Job instead of crash-looping pods.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { loadEnv } from './env.js';
import { createLogger } from './logger.js';
import { createOrm, migrate, type OrmOptions } from './orm.js';

const env = loadEnv(z.object({
  DATABASE_URL: z.string().url(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}));
const service = (await import(pathToFileURL(join(process.cwd(), 'dist/index.js')).href)) as {
  SCHEMA: string; entities: OrmOptions['entities']; migrations: OrmOptions['migrations'];
};
const logger = createLogger({ service: `${service.SCHEMA}-migrate`, level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: service.SCHEMA, entities: service.entities, migrations: service.migrations, logger });
try {
  await migrate(orm, service.SCHEMA);
  logger.info({ schema: service.SCHEMA }, 'migrations applied');
} finally {
  await orm.close();
}
