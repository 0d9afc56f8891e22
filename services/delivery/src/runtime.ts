import type { EventBus } from '@rowline/bus';
import { createInternalClient, createOutboxRelay, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import type { Storage } from '@rowline/storage';
import type { Registry } from 'prom-client';
import type { RetrySchedule } from './domain/retry-policy.js';
import type { SecretBox } from './domain/secret-box.js';
import { createExecutionEventsConsumer } from './events/consumer.js';
import { DELIVERY_TOPICS } from './events/messages.js';
import type { DestinationKind } from './store/entities.js';
import type { LedgerStore } from './store/ledger-store.js';
import type { Transport } from './transports/types.js';
import type { LocateArtifact } from './worker/deliver-one.js';
import { createDeliveryWorkers, type DeliveryWorkerOptions } from './worker/delivery-workers.js';
import { createDeliveryMetrics } from './worker/metrics.js';

export type DeliveryRuntimeDeps = {
  bus: EventBus;
  storage: Storage;
  /** Base URL of the files service, asked where an artifact's bytes are and for its download link. */
  filesUrl: string;
  workers?: DeliveryWorkerOptions;
  /** The process's Prometheus registry: delivery metrics (worker/metrics.ts) are registered on it. */
  registry?: Registry;
};

/** The consumer, the outbox relay and the workers: what turns succeeded runs into deliveries. */
export async function createDeliveryRuntime(deps: DeliveryRuntimeDeps & {
  orm: Orm; logger: Logger; tokens: InternalTokens; ledger: LedgerStore; box: SecretBox;
  transports: Record<DestinationKind, Transport>; schedule: RetrySchedule;
}) {
  await deps.bus.ensureTopics(DELIVERY_TOPICS.map((name) => ({ name, partitions: 6 })));
  const relay = createOutboxRelay({ schema: 'delivery', em: () => deps.orm.em.fork(), bus: deps.bus, logger: deps.logger });
  const files = createInternalClient({ tokens: deps.tokens, baseUrl: deps.filesUrl, audience: 'files' });
  const locate: LocateArtifact = (tenantId, fileId) => files(
    { kind: 'service', tenantId, subject: 'service:delivery', role: 'MEMBER', scopes: [] }, `/internal/files/${encodeURIComponent(fileId)}`,
  );
  const workers = createDeliveryWorkers({
    orm: deps.orm, ledger: deps.ledger, storage: deps.storage, locate, box: deps.box, transports: deps.transports,
    schedule: deps.schedule, metrics: deps.registry && createDeliveryMetrics(deps.registry), logger: deps.logger.child({ component: 'delivery-worker' }), onLedgerChange: () => relay.nudge(),
  }, deps.workers);
  const consumer = createExecutionEventsConsumer({
    bus: deps.bus, ledger: deps.ledger, logger: deps.logger, onRecorded: () => { relay.nudge(); workers.nudge(); },
  });
  return {
    relay, workers, consumer,
    /** The relay and workers first, so the first recorded run is picked up at once. */
    async start() {
      relay.start();
      workers.start();
      await consumer.start();
    },
    /** Stop taking events, finish attempts in flight, then publish what they recorded. */
    async stop() {
      await consumer.stop();
      await workers.stop();
      await relay.stop();
    },
  };
}
export type DeliveryRuntime = Awaited<ReturnType<typeof createDeliveryRuntime>>;
