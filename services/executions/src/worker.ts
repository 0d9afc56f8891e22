import { createInternalTokens, createLogger, createMetrics, createOrm, createServiceServer, EnvError, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { createKafkaBus } from '@rowline/bus';
import { createStorageFromEnv } from '@rowline/storage';
import { workerEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { DEFAULT_MAX_BYTES_IN_MEMORY } from '@rowline/engine';
import { defaultEngineMemoryBytes } from './worker/engine-worker.js';
import { createEngineWorkers } from './worker/engine-workers.js';
import { faultPointFromEnv } from './worker/fault-points.js';

// The engine worker process: consumes executions.requested, runs workflows, serves health and metrics.
const started = exitOnStartupError('engine-worker');
const env = loadEnv(workerEnv);
const logger = createLogger({ service: 'engine-worker', level: env.LOG_LEVEL });
if (!env.KAFKA_BROKERS) throw new EnvError(['KAFKA_BROKERS: not set; expected the Kafka brokers (host:port, comma-separated), required for engine workers']);
const metrics = createMetrics('engine-worker');
const bus = createKafkaBus({
  brokers: env.KAFKA_BROKERS.split(','), clientId: 'engine-worker', topicPrefix: env.KAFKA_TOPIC_PREFIX, logger,
  sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS, registry: metrics.registry,
});
const orm = await createOrm({ url: env.DATABASE_URL, schema: 'executions', entities, migrations, logger });
const storage = createStorageFromEnv(env);
logger.info({ storage: storage.describe }, 'file storage');
const memoryBytes = env.ENGINE_MEMORY_MB === undefined ? defaultEngineMemoryBytes() : env.ENGINE_MEMORY_MB * 1048576;
const workers = createEngineWorkers({
  logger, orm, registry: metrics.registry, bus, storage: storage.storage, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET),
  filesUrl: env.FILES_URL, concurrency: env.ENGINE_CONCURRENCY, leaseMs: env.LEASE_MS, maxAttempts: env.MAX_ATTEMPTS,
  retryBackoffMs: env.RETRY_BACKOFF_MS, cancelPollMs: env.CANCEL_POLL_MS, sweepIntervalMs: env.SWEEP_INTERVAL_MS,
  tenantLimit: env.TENANT_CONCURRENCY, memoryBytes, faults: faultPointFromEnv(env.ROWLINE_FAULT_PAUSE_AT, (line) => process.stdout.write(line), env.ROWLINE_FAULT_PAUSE_MS),
});
await workers.start();
// /readyz checks Postgres, without which no run can be claimed.
const health = await createServiceServer({ name: 'engine-worker', logger, metrics, orm, tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET) });
await health.listen(env.PORT, env.HOST);
logger.info({ concurrency: env.ENGINE_CONCURRENCY, memoryMb: Math.round(memoryBytes / 1048576) }, 'engine worker started');
if (memoryBytes < DEFAULT_MAX_BYTES_IN_MEMORY) {
  logger.warn({ memoryMb: Math.round(memoryBytes / 1048576), runBoundMb: DEFAULT_MAX_BYTES_IN_MEMORY / 1048576 },
    'the runs of this worker share less memory than one run may hold: larger runs end TOO_LARGE; raise the heap (--max-old-space-size) or ENGINE_MEMORY_MB');
}
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'storage', stop: async () => storage.close() },
  { name: 'bus', stop: () => bus.close() },
  { name: 'http', stop: () => health.close() },
  { name: 'workers', stop: () => workers.stop() },
// Stopping waits for the runs in flight: up to SHUTDOWN_TIMEOUT_MS, inside the pod's grace period (k8s).
], env.SHUTDOWN_TIMEOUT_MS);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
