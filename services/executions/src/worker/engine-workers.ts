import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createInternalClient, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';
import type { Storage } from '@rowline/storage';
import { createOutboxRelay } from '../events/outbox.js';
import { TOPICS } from '../events/messages.js';
import { createRunStore } from '../store/run-store.js';
import { createEngineWorker } from './engine-worker.js';

export const ENGINE_GROUP = 'engine-workers';

/**
 * Engine workers: consumers in the `engine-workers` group plus their own outbox relay (the events they
 * write must reach Kafka even when no API instance is running).
 */
export function createEngineWorkers(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; bus: EventBus; storage: Storage; filesUrl: string;
  concurrency?: number; leaseMs?: number;
}) {
  const em = () => deps.orm.em.fork();
  const relay = createOutboxRelay({ em, bus: deps.bus, logger: deps.logger });
  const files = createInternalClient({ tokens: deps.tokens, baseUrl: deps.filesUrl, audience: 'files' });
  const worker = createEngineWorker({
    store: createRunStore({ em }), storage: deps.storage, bus: deps.bus, logger: deps.logger,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, leaseMs: deps.leaseMs,
    onOutbox: () => relay.nudge(),
    registerArtifact: (run, artifact) => files(
      { kind: 'service', tenantId: run.tenantId, subject: 'service:executions', role: 'MEMBER', scopes: [] },
      '/internal/artifacts', { method: 'POST', body: { executionId: run.id, ...artifact } },
    ),
  });
  let subscription: { stop(): Promise<void> } | undefined;
  return {
    async start() {
      relay.start();
      subscription = await deps.bus.subscribe({
        topics: [TOPICS.executionRequested], groupId: ENGINE_GROUP, handler: worker.handle, concurrency: deps.concurrency ?? 1,
      });
    },
    async stop() {
      await subscription?.stop();
      await relay.stop();
    },
  };
}
