import { hostname } from 'node:os';
import { createKafkaBus } from '@rowline/bus';
import { TOPICS } from '@rowline/proto';
import { createInternalTokens, createLogger, createMetrics, exitOnStartupError, loadEnv, onShutdown } from '@rowline/kit';
import { gatewayEnv } from './env.js';
import { createGateway } from './gateway.js';
import { limitsFromEnv } from './limits/env.js';
import { loadSupergraph } from './supergraph.js';
import { loadPartnerSupergraph } from './partner/endpoint.js';

const started = exitOnStartupError('gateway');
const env = loadEnv(gatewayEnv);
const logger = createLogger({ service: 'gateway', level: env.LOG_LEVEL });
// Subscriptions read executions.events; without Kafka the gateway serves queries and mutations only.
// One registry for the process: the bus's consumption of executions.events is served on the same /metrics.
const metrics = createMetrics('gateway');
const bus = env.KAFKA_BROKERS
  ? createKafkaBus({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'gateway', topicPrefix: env.KAFKA_TOPIC_PREFIX, logger, registry: metrics.registry })
  : undefined;
if (!bus) logger.warn('KAFKA_BROKERS is not set: no GraphQL subscriptions');
await bus?.ensureTopics([{ name: TOPICS.executionEvents, partitions: 6 }]);
const gateway = await createGateway({
  logger,
  metrics,
  tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET),
  supergraphSdl: await loadSupergraph(env.SUPERGRAPH_PATH),
  urls: { auth: env.AUTH_URL, workflows: env.WORKFLOWS_URL, executions: env.EXECUTIONS_URL, files: env.FILES_URL, delivery: env.DELIVERY_URL },
  jwt: { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksMaxAgeMs: env.JWKS_MAX_AGE_SECONDS * 1000 },
  introspection: env.INTROSPECTION ? env.INTROSPECTION === 'true' : env.NODE_ENV !== 'production',
  partner: {
    supergraphSdl: await loadPartnerSupergraph(env.PARTNER_SUPERGRAPH_PATH), keyCacheMs: env.PARTNER_KEY_CACHE_SECONDS * 1000,
    budgetPoints: env.PARTNER_BUDGET_POINTS, budgetWindowMs: env.PARTNER_BUDGET_WINDOW_SECONDS * 1000,
  },
  exposeInternalErrors: env.NODE_ENV === 'development',
  limits: await limitsFromEnv(env),
  bus, instanceId: env.GATEWAY_INSTANCE_ID ?? hostname(), subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
});
const port = await gateway.listen(env.PORT, env.HOST);
logger.info({ port }, `gateway listening on http://${env.HOST}:${port}/graphql`);
onShutdown(logger, [
  ...(bus ? [{ name: 'bus', stop: () => bus.close() }] : []),
  { name: 'http', stop: () => gateway.close() },
]);
// Started: a later uncaught error is a crash, reported with its stack, not a start that went wrong.
started();
