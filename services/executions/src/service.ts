import {
  AppError, createInternalClient, createMetrics, createOutboxRelay, createServiceServer, migrate,
  type AuthedContext, type InternalTokens, type Logger, type Metrics, type Orm,
} from '@rowline/kit';
import type { EventBus } from '@rowline/bus';
import { createExecutionsDomain, type Lookups } from './domain/executions.js';
import { cachedVersions } from './domain/version-cache.js';
import { isTerminal } from './domain/state-machine.js';
import { endedEvents, TOPICS } from './events/messages.js';
import { buildExecutionsSchema } from './schema/index.js';
import { createRunStore } from './store/run-store.js';

export const SERVICE = 'executions';
export const SCHEMA = 'executions';
/** The bus creates each topic's `.dlq` beside it. */
export const EXECUTION_TOPICS = [TOPICS.executionRequested, TOPICS.executionEvents];

export async function createExecutionsService(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; bus: EventBus; workflowsUrl: string; filesUrl: string; exposeInternalErrors?: boolean;
  /** The process's metrics, when its bus reports on them too (main.ts); otherwise the service's own. */
  metrics?: Metrics;
  /** Timeout of a run that does not ask for one; the per-tenant limit (the API releases a slot when it cancels). */
  defaultTimeoutMs?: number; tenantLimit?: number;
}) {
  await migrate(deps.orm, SCHEMA);
  await deps.bus.ensureTopics(EXECUTION_TOPICS.map((name) => ({ name, partitions: 6 })));
  const em = () => deps.orm.em.fork();
  const relay = createOutboxRelay({ schema: SCHEMA, em, bus: deps.bus, logger: deps.logger });
  const workflows = createInternalClient({ tokens: deps.tokens, baseUrl: deps.workflowsUrl, audience: 'workflows' });
  const files = createInternalClient({ tokens: deps.tokens, baseUrl: deps.filesUrl, audience: 'files' });
  const lookups: Lookups = {
    version: cachedVersions((principal, id) => workflows(principal, `/internal/versions/${encodeURIComponent(id)}`)),
    // A file's status changes (uploads finish, retention deletes), so it is asked every time; without its download link.
    file: (principal, id) => files(principal, `/internal/files/${encodeURIComponent(id)}?link=false`),
    latestVersion: (principal, id) => workflows(principal, `/internal/workflows/${encodeURIComponent(id)}/latest-version`),
  };
  const domain = createExecutionsDomain({ lookups, onOutbox: () => relay.nudge(), defaultTimeoutMs: deps.defaultTimeoutMs });
  const store = createRunStore({ em, tenantLimit: deps.tenantLimit ?? 8 });

  async function cancel(ctx: AuthedContext, id: string) {
    const run = await domain.get(ctx.em, id);
    if (isTerminal(run.status)) throw new AppError('CONFLICT', `The run already ended ${run.status}`);
    const error = { code: 'CANCELLED', message: `Cancelled by ${ctx.principal.subject}`, step: null };
    const moved = await store.transition(run, null, { status: 'CANCELLED', phase: null, error, events: endedEvents('CANCELLED', error) });
    relay.nudge();
    const current = await ctx.em.fork().findOneOrFail(run.constructor as never, { id }, { refresh: true, filters: { tenant: { tenantId: ctx.principal.tenantId } } });
    if (!moved && !isTerminal((current as typeof run).status)) throw new AppError('CONFLICT', 'The run changed; try again');
    return current as typeof run;
  }

  const schema = await buildExecutionsSchema({ domain, cancel });
  // Returned so that engine workers hosted in the same process (the embedded mode) report on the same /metrics.
  const metrics = deps.metrics ?? createMetrics(SERVICE);
  const server = await createServiceServer({
    name: SERVICE,
    metrics,
    logger: deps.logger,
    schema,
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
    readiness: [
      { name: 'bus', check: () => { const h = deps.bus.health(); if (!h.ok) throw new Error(h.detail ?? 'bus unavailable'); } },
    ],
  });
  return { server, relay, domain, metrics };
}
