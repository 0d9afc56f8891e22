import { createInternalTokens, createLogger, createMetrics, createOrm, EnvError, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { createKafkaBus } from '@rowline/bus';
import { createStorageFromEnv } from '@rowline/storage';
import { deliveryEnv, deliverySettings } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createDeliveryService, SCHEMA, SERVICE } from './service.js';

const started = exitOnStartupError(SERVICE);
const env = loadEnv(deliveryEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
if (!env.KAFKA_BROKERS) throw new EnvError(['KAFKA_BROKERS: not set; expected the Kafka brokers (host:port, comma-separated), required for the delivery service outside the embedded mode']);
const metrics = createMetrics(SERVICE);
const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS.split(','), clientId: SERVICE, topicPrefix: env.KAFKA_TOPIC_PREFIX, logger, registry: metrics.registry });
const storage = createStorageFromEnv(env);
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const { workers, ...settings } = deliverySettings(env);
const { server, runtime } = await createDeliveryService({
  logger,
  metrics,
  orm,
  tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET),
  secretKey: env.DELIVERY_SECRET_KEY,
  workflowsUrl: env.WORKFLOWS_URL,
  runtime: env.DELIVERY_RUNTIME === 'off' ? undefined : { bus, storage: storage.storage, filesUrl: env.FILES_URL, workers },
  ...settings,
});
await runtime?.start();
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port }, 'delivery subgraph listening');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'bus', stop: () => bus.close() },
  { name: 'storage', stop: async () => storage.close() },
  { name: 'delivery-runtime', stop: async () => runtime?.stop() },
  { name: 'http', stop: () => server.close() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
