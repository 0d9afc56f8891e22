import { createInternalTokens, createLogger, createMetrics, createOrm, createServiceServer, EnvError, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { createKafkaBus } from '@rowline/bus';
import { createStorageFromEnv } from '@rowline/storage';
import { createHostPolicy } from './domain/host-policy.js';
import { createSecretBox } from './domain/secret-box.js';
import { deliveryEnv, deliverySettings } from './env.js';
import { createDeliveryRuntime } from './runtime.js';
import { SCHEMA } from './service.js';
import { entities } from './store/entities.js';
import { createLedgerStore } from './store/ledger-store.js';
import { migrations } from './store/migrations/index.js';
import { createResolver } from './transports/connect-guard.js';
import { createTransports } from './transports/index.js';

// The delivery worker process (Deployment delivery-worker): consumes executions.events, records and carries
// out deliveries, relays the ledger's events; serves only health and metrics. It reads the subgraph's
// variables (DELIVERY_RUNTIME aside), so one Secret and ConfigMap serve both.
const started = exitOnStartupError('delivery-worker');
const env = loadEnv(deliveryEnv);
const logger = createLogger({ service: 'delivery-worker', level: env.LOG_LEVEL });
if (!env.KAFKA_BROKERS) throw new EnvError(['KAFKA_BROKERS: not set; expected the Kafka brokers (host:port, comma-separated), required for delivery workers']);
const metrics = createMetrics('delivery-worker');
const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'delivery-worker', topicPrefix: env.KAFKA_TOPIC_PREFIX, logger, registry: metrics.registry });
const storage = createStorageFromEnv(env);
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const tokens = createInternalTokens(env.INTERNAL_TOKEN_SECRET);
const settings = deliverySettings(env);
const runtime = await createDeliveryRuntime({
  bus, storage: storage.storage, filesUrl: env.FILES_URL, registry: metrics.registry,
  workers: settings.workers,
  orm, logger, tokens,
  ledger: createLedgerStore({ em: () => orm.em.fork() }),
  box: createSecretBox(env.DELIVERY_SECRET_KEY),
  transports: createTransports({
    resolve: createResolver(createHostPolicy(settings.hosts)), timeoutMs: settings.transportTimeoutMs, smtp: settings.smtp,
  }),
  schedule: settings.retrySchedule,
});
await runtime.start();
const health = await createServiceServer({ name: 'delivery-worker', logger, metrics, orm, tokens });
await health.listen(env.PORT, env.HOST);
logger.info({ storage: storage.describe }, 'delivery worker started');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'bus', stop: () => bus.close() },
  { name: 'storage', stop: async () => storage.close() },
  { name: 'http', stop: () => health.close() },
  { name: 'delivery-runtime', stop: () => runtime.stop() },
// Stopping waits for the deliveries in flight (each up to DELIVERY_TIMEOUT_MS), inside the pod's grace period.
], env.SHUTDOWN_TIMEOUT_MS);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
