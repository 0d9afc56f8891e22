import { baseEnv, createLogger, createOrm, loadEnv } from '@rowline/kit';
import { rotateSigningKey } from './domain/signing-keys.js';
import { recordAudit } from './domain/audit.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { SCHEMA } from './service.js';

/**
 * `node services/auth/dist/rotate-signing-key.js`: an operator's command, not an API. Rotation is a
 * platform-wide act (every tenant's tokens), so it runs with the database credentials of the auth service
 * instead of being a GraphQL mutation any tenant's admin could reach.
 */
const env = loadEnv(baseEnv.pick({ DATABASE_URL: true, LOG_LEVEL: true }));
const logger = createLogger({ service: 'auth-rotate-signing-key', level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
try {
  const em = orm.em.fork();
  const { kid, retired } = await rotateSigningKey(em);
  recordAudit(em, 'signing_key.rotated', { details: { kid, retired } });
  await em.flush();
  logger.info({ kid, retired }, 'signing key rotated; retired keys stay in the JWKS for 15 minutes');
  process.stdout.write(`${JSON.stringify({ kid, retired })}\n`);
} finally {
  await orm.close();
}
