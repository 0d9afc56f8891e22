import { createInternalTokens, createLogger, createOrm, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { createStorageFromEnv } from '@rowline/storage';
import { filesEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createFilesService, SCHEMA, SERVICE } from './service.js';

const started = exitOnStartupError(SERVICE);
const env = loadEnv(filesEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const storage = createStorageFromEnv(env);
logger.info({ storage: storage.describe }, 'file storage');
const { server, sweeper } = await createFilesService({
  logger, orm, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET), storage: storage.storage, env,
});
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port }, 'files subgraph listening');
sweeper.start();
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'storage', stop: async () => storage.close() },
  { name: 'http', stop: () => server.close() },
  { name: 'sweeper', stop: () => sweeper.stop() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
