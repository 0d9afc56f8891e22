import { createInternalTokens, createLogger, createOrm, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { authEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createAuthService, SCHEMA, SERVICE } from './service.js';
import { deriveApiKeySecret } from './domain/api-keys.js';

const started = exitOnStartupError(SERVICE);
const env = loadEnv(authEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const { server } = await createAuthService({
  logger, orm, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET), issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE,
  apiKeySecret: env.API_KEY_SECRET ?? deriveApiKeySecret(env.INTERNAL_TOKEN_SECRET),
});
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port }, 'auth subgraph listening');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'http', stop: () => server.close() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
