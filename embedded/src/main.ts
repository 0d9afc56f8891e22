import { resolve } from 'node:path';
import { createLogger, csv, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';
import { deliverySettings } from '@rowline/delivery';
import { embeddedEnv, embeddedSecrets } from './config.js';
import { startEmbeddedPostgres } from './postgres.js';
import { startPlatform } from './platform.js';
import { DEMO, seedDemo } from './seed.js';
import { reservePort } from './reserve-port.js';

// `npm start`: the whole platform in one process. Nothing to install but Node 24.
const started = performance.now();
const startedUp = exitOnStartupError('rowline');
const env = loadEnv(embeddedEnv);
const dataDir = resolve(env.DATA_DIR);
const logger = createLogger({ service: 'rowline', level: env.LOG_LEVEL });
// A PORT given that another process holds stops the start here, before the embedded PostgreSQL (seconds, more
// on a first run) and the services start; startPlatform holds it again until the gateway listens.
if (env.PORT) await (await reservePort(env.HOST, env.PORT)).release();
const postgres = env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir, port: env.EMBEDDED_POSTGRES_PORT, logger });
const platform = await startPlatform({
  databaseUrl: env.DATABASE_URL ?? postgres!.url,
  kafkaBrokers: csv(env.KAFKA_BROKERS),
  topicPrefix: env.KAFKA_TOPIC_PREFIX,
  dataDir, host: env.HOST, port: env.PORT, publicUrl: env.PUBLIC_URL,
  secrets: await embeddedSecrets(dataDir, env), logLevel: env.LOG_LEVEL,
  delivery: deliverySettings(env),
  // Object storage only when asked for; otherwise file bytes stay under DATA_DIR.
  ...(process.env.STORAGE_DRIVER === 's3' ? { storage: loadEnv(storageEnv) } : {}),
});
onShutdown(logger, [
  ...(postgres ? [{ name: 'postgres', stop: () => postgres.stop() }] : []),
  { name: 'platform', stop: () => platform.stop() },
]);
const seeded = env.SEED_DEMO === 'true' ? await seedDemo(platform.graphqlUrl, logger) : undefined;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const lines = [
  '',
  `  Rowline is running (ready in ${seconds} s): ${platform.graphqlUrl}`,
  `  Open it in a browser for the GraphQL IDE.`,
  ...(seeded ? [`  Log in as ${DEMO.email} / ${DEMO.password} (tenant "${seeded.tenantSlug}") with the logIn mutation,`,
    `  then send the accessToken as "Authorization: Bearer <token>".`] : []),
  `  Storage: ${env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL in ${dataDir}/postgres`}; events: ${env.KAFKA_BROKERS ? 'Apache Kafka' : 'in-process bus'}.`,
  // The services listen on loopback ports picked at each start; this is where to find their metrics.
  `  Metrics (Prometheus; the services' ports change at every start):`,
  ...Object.entries(platform.metricsUrls).map(([name, url]) => `    ${name.padEnd(11)} ${url}`),
  '',
];
logger.info({ metrics: platform.metricsUrls }, 'metrics endpoints');
process.stdout.write(`${lines.join('\n')}\n`);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
startedUp();
