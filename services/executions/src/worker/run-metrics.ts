import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EntityManager, Logger } from '@rowline/kit';
import type { EventBus } from '@rowline/bus';
import { TOPICS } from '../events/messages.js';

/** What a worker (and its sweeper) reports as runs start and end. */
export type RunObserver = {
  started(run: { attempt: number }): void;
  ended(status: string, startedAt: Date | null): void;
};

/**
 * The run metrics of an engine worker process, on its /metrics. Counters count what this process did;
 * the queue depth and the consumer lag are read from Postgres and Kafka when scraped, so they are the
 * pipeline's, not the process's.
 */
export function createRunMetrics(deps: { registry: Registry; em: () => EntityManager; bus: EventBus; group: string; logger: Logger }): RunObserver {
  const registers = [deps.registry];
  const started = new Counter({ name: 'rowline_executions_started_total', help: 'Runs started for the first time', registers });
  const retried = new Counter({ name: 'rowline_executions_retried_total', help: 'Further attempts of runs (a redo after a lost worker or a transient failure)', registers });
  const succeeded = new Counter({ name: 'rowline_executions_succeeded_total', help: 'Runs ended SUCCEEDED', registers });
  const failed = new Counter({ name: 'rowline_executions_failed_total', help: 'Runs ended otherwise, by status (FAILED, TIMED_OUT, CANCELLED)', labelNames: ['status'] as const, registers });
  const duration = new Histogram({
    name: 'rowline_execution_duration_seconds', help: 'From a run\'s first start to its end, by final status', labelNames: ['status'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900], registers,
  });
  new Gauge({
    name: 'rowline_executions_queue_depth', help: 'Runs waiting to run, by status (PENDING: not yet picked up; QUEUED: waiting for a slot or a retry)',
    labelNames: ['status'] as const, registers,
    async collect() {
      const rows = await deps.em().execute<{ status: string; n: number }[]>(
        `select "status", count(*)::int as "n" from "executions"."executions" where "status" in ('PENDING', 'QUEUED') group by "status"`);
      this.reset();
      for (const status of ['PENDING', 'QUEUED']) this.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });
  if (deps.bus.consumerLag) {
    const lagOf = deps.bus.consumerLag.bind(deps.bus);
    new Gauge({
      name: 'rowline_executions_consumer_lag', help: `Messages of ${TOPICS.executionRequested} not yet committed by the ${deps.group} group`, registers,
      async collect() {
        try { this.set(await lagOf(deps.group, [TOPICS.executionRequested])); } catch (err) { deps.logger.warn({ err }, 'consumer lag unavailable'); }
      },
    });
  }
  return {
    started(run) { (run.attempt <= 1 ? started : retried).inc(); },
    ended(status, startedAt) {
      if (status === 'SUCCEEDED') succeeded.inc(); else failed.inc({ status });
      if (startedAt) duration.observe({ status }, (Date.now() - startedAt.getTime()) / 1000);
    },
  };
}
