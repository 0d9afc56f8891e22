import { createInternalClient, createServiceServer, migrate, type InternalTokens, type Logger, type Metrics, type Orm } from '@rowline/kit';
import { createConfigParser } from './domain/configs.js';
import { createDeliveriesDomain } from './domain/deliveries.js';
import { createDestinationsDomain } from './domain/destinations.js';
import { createHostPolicy } from './domain/host-policy.js';
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule } from './domain/retry-policy.js';
import { createRoutesDomain } from './domain/routes.js';
import { createSecretBox } from './domain/secret-box.js';
import { createDeliveryRuntime, type DeliveryRuntime, type DeliveryRuntimeDeps } from './runtime.js';
import { buildDeliverySchema } from './schema/index.js';
import { createLedgerStore } from './store/ledger-store.js';
import { createResolver } from './transports/connect-guard.js';
import type { SmtpSettings } from './transports/email.js';
import { createTransports } from './transports/index.js';

export const SERVICE = 'delivery';
export const SCHEMA = 'delivery';

export type DeliveryServiceDeps = {
  logger: Logger;
  orm: Orm;
  tokens: InternalTokens;
  /** AES-256 key sealing destination secrets (32 bytes). */
  secretKey: Buffer;
  /** Base URL of the workflows service: a route's workflow must be the caller's (`GET /internal/workflows/:id`). */
  workflowsUrl: string;
  /**
   * Local or private hosts destinations may name in development and tests, at save time and at connect
   * time; ignored in production. Default: none.
   */
  hosts?: { production: boolean; devAllowedHosts: string[] };
  /** When given, the service consumes `executions.events` and runs delivery workers (call `runtime.start()`). */
  runtime?: DeliveryRuntimeDeps;
  retrySchedule?: RetrySchedule;
  smtp?: SmtpSettings;
  /** Per-attempt network timeout. Default 30 s. */
  transportTimeoutMs?: number;
  /** Test-only: PEM of a CA trusted beside the system's for webhooks and FTPS. */
  extraCa?: string;
  exposeInternalErrors?: boolean;
  /** The process's metrics; the runtime's delivery metrics go on its registry, served on /metrics. */
  metrics?: Metrics;
};

/** Wires the delivery subgraph (and, given a runtime, its consumer and workers); `main.ts` and the embedded runner both use it. */
export async function createDeliveryService(deps: DeliveryServiceDeps) {
  await migrate(deps.orm, SCHEMA);
  const box = createSecretBox(deps.secretKey);
  const policy = createHostPolicy(deps.hosts ?? { production: true, devAllowedHosts: [] });
  const parseConfig = createConfigParser(policy);
  const destinations = createDestinationsDomain({ parseConfig, box, emailSetUp: deps.smtp !== undefined });
  const workflows = createInternalClient({ tokens: deps.tokens, baseUrl: deps.workflowsUrl, audience: 'workflows' });
  const routes = createRoutesDomain({
    destinations,
    checkWorkflow: async (principal, id) => { await workflows(principal, `/internal/workflows/${encodeURIComponent(id)}`); },
  });
  const ledger = createLedgerStore({ em: () => deps.orm.em.fork() });
  const transports = createTransports({ resolve: createResolver(policy), timeoutMs: deps.transportTimeoutMs, smtp: deps.smtp, extraCa: deps.extraCa });
  const schedule = deps.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  let runtime: DeliveryRuntime | undefined;
  if (deps.runtime) {
    runtime = await createDeliveryRuntime({ registry: deps.metrics?.registry, ...deps.runtime, orm: deps.orm, logger: deps.logger, tokens: deps.tokens, ledger, box, transports, schedule });
  }
  const deliveries = createDeliveriesDomain({ ledger, onRedeliver: () => { runtime?.relay.nudge(); runtime?.workers.nudge(); } });
  const schema = await buildDeliverySchema({ destinations, routes, deliveries, transports, box });
  const server = await createServiceServer({
    name: SERVICE,
    logger: deps.logger,
    schema,
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
    metrics: deps.metrics,
  });
  return { server, destinations, routes, deliveries, ledger, runtime };
}
