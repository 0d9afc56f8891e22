import { createStorageFromEnv } from '@rowline/storage';
import { createInternalTokens, createLogger, createOrm, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { workflowsEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createWorkflowsService, SCHEMA, SERVICE } from './service.js';

const started = exitOnStartupError(SERVICE);
const env = loadEnv(workflowsEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const storage = createStorageFromEnv(env);
const { server, previewMemory } = await createWorkflowsService({
  logger, orm, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET),
  storage: storage.storage, filesUrl: env.FILES_URL,
  ...(env.PREVIEW_MEMORY_MB === undefined ? {} : { previewMemory: env.PREVIEW_MEMORY_MB * 1048576 }),
});
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port, previewMemoryMb: Math.round(previewMemory.maxBytes / 1048576) }, 'workflows subgraph listening');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'storage', stop: async () => storage.close() },
  { name: 'http', stop: () => server.close() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
