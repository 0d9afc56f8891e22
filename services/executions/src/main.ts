import { createInternalTokens, createLogger, createMetrics, createOrm, EnvError, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { createKafkaBus } from '@rowline/bus';
import { executionsEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createExecutionsService, SCHEMA, SERVICE } from './service.js';

const started = exitOnStartupError(SERVICE);
const env = loadEnv(executionsEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
if (!env.KAFKA_BROKERS) throw new EnvError(['KAFKA_BROKERS: not set; expected the Kafka brokers (host:port, comma-separated), required for the executions service outside the embedded mode']);
// One registry for the process: the bus's publishes (the relay's) are served on the same /metrics.
const metrics = createMetrics(SERVICE);
const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS.split(','), clientId: SERVICE, topicPrefix: env.KAFKA_TOPIC_PREFIX, logger, registry: metrics.registry });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const { server, relay } = await createExecutionsService({
  logger, metrics, orm, bus, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET), workflowsUrl: env.WORKFLOWS_URL, filesUrl: env.FILES_URL,
  defaultTimeoutMs: env.EXECUTION_TIMEOUT_MS, tenantLimit: env.TENANT_CONCURRENCY,
});
relay.start();
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port }, 'executions subgraph listening');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'bus', stop: () => bus.close() },
  { name: 'relay', stop: () => relay.stop() },
  { name: 'http', stop: () => server.close() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
