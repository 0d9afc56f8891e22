import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { createInternalClient, createOutboxRelay, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';
import type { Storage } from '@rowline/storage';
import { TOPICS } from '../events/messages.js';
import { createRunStore } from '../store/run-store.js';
import { Gauge, type Registry } from 'prom-client';
import { createEngineWorker, type WorkerOptions } from './engine-worker.js';
import { createRunMetrics } from './run-metrics.js';
import type { FaultPoint } from './fault-points.js';
import { createSweeper } from './sweeper.js';

export const ENGINE_GROUP = 'engine-workers';

/**
 * Engine workers: consumers in the `engine-workers` group plus their own outbox relay (the events they
 * write must reach Kafka even when no API instance is running) and the sweeper.
 */
export function createEngineWorkers(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; bus: EventBus; storage: Storage; filesUrl: string;
  concurrency?: number; tenantLimit?: number; sweepIntervalMs?: number; faults?: FaultPoint;
  /** Where the run metrics go (the process's /metrics registry); none without it. */
  registry?: Registry;
  onPublished?: (rows: number) => void;
} & WorkerOptions) {
  const em = () => deps.orm.em.fork();
  const relay = createOutboxRelay({ schema: 'executions', em, bus: deps.bus, logger: deps.logger, onPublished: deps.onPublished });
  const files = createInternalClient({ tokens: deps.tokens, baseUrl: deps.filesUrl, audience: 'files' });
  const store = createRunStore({ em, tenantLimit: deps.tenantLimit ?? 8 });
  const maxAttempts = deps.maxAttempts ?? 3;
  const observer = deps.registry ? createRunMetrics({ registry: deps.registry, em, bus: deps.bus, group: ENGINE_GROUP, logger: deps.logger }) : undefined;
  const worker = createEngineWorker({
    ...deps, store, maxAttempts, observer,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    onOutbox: () => relay.nudge(),
    registerArtifact: (run, artifact) => files(
      { kind: 'service', tenantId: run.tenantId, subject: 'service:executions', role: 'MEMBER', scopes: [] },
      '/internal/artifacts?link=false', { method: 'POST', body: { executionId: run.id, ...artifact } },
    ),
  });
  if (deps.registry) {
    const registers = [deps.registry];
    new Gauge({ name: 'rowline_engine_memory_limit_bytes', help: 'What the runs of this worker may hold together (ENGINE_MEMORY_MB)', registers })
      .set(worker.memoryPool.maxBytes);
    new Gauge({
      name: 'rowline_engine_memory_reserved_bytes', help: 'What the runs of this worker hold now, in the engine\'s estimated bytes', registers,
      collect() { this.set(worker.memoryPool.usedBytes); },
    });
    new Gauge({
      name: 'rowline_engine_memory_waiting_runs', help: 'Runs of this worker waiting for memory that other runs hold (refused BUSY)', registers,
      collect() { this.set(worker.memoryPool.waitingCount); },
    });
  }
  const sweeper = createSweeper({ store, logger: deps.logger, maxAttempts, intervalMs: deps.sweepIntervalMs ?? 5_000, onOutbox: () => relay.nudge(), observer });
  let subscription: { stop(): Promise<void> } | undefined;
  return {
    store,
    sweeper,
    async start() {
      relay.start();
      sweeper.start();
      subscription = await deps.bus.subscribe({
        topics: [TOPICS.executionRequested], groupId: ENGINE_GROUP, handler: worker.handle, concurrency: deps.concurrency ?? 1,
        // Runs are independent: one slow run must not hold back the runs hashed to its partition after it.
        ordering: 'key',
        // No fetch windows (batchWindowMs): a fetch waits on the broker until a request arrives. An idle
        // worker fetching in 20 ms windows cost the broker 100-170 CPU ms a second and itself about 50
        // (measured with one idle keyed subscriber, executions README).
        // A redelivered request finds its run claimed or ended and does nothing.
        commitIntervalMs: 500,
      });
    },
    async stop() {
      await subscription?.stop();
      worker.stop();
      await sweeper.stop();
      await relay.stop();
    },
  };
}
