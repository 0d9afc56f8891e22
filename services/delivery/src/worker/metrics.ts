import { Counter, Histogram, type Registry } from 'prom-client';
import type { DeliveryStatus } from '../store/entities.js';

/**
 * Prometheus metrics of the delivery workers, on the process's registry (the subgraph's when it runs them
 * in-process, the delivery worker's otherwise). Only results the ledger kept are counted, so a claim that
 * was taken over is not counted twice. `kind` is the destination kind, `unknown` when it was deleted.
 */
export function createDeliveryMetrics(registry: Registry) {
  const attempts = new Counter({
    name: 'rowline_delivery_attempts_total', help: 'Delivery attempts, by destination kind and outcome (SUCCEEDED, FAILED, TIMED_OUT)',
    labelNames: ['kind', 'outcome'] as const, registers: [registry],
  });
  const finished = new Counter({
    name: 'rowline_deliveries_total', help: 'Deliveries that finished, by destination kind and outcome (succeeded, dead: every retry spent or a permanent failure)',
    labelNames: ['kind', 'outcome'] as const, registers: [registry],
  });
  const seconds = new Histogram({
    name: 'rowline_delivery_attempt_seconds', help: 'Time one delivery attempt took, by destination kind',
    labelNames: ['kind'] as const, registers: [registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  });
  return {
    attempt(kind: string, outcome: string, durationMs: number, status: DeliveryStatus) {
      attempts.inc({ kind, outcome });
      seconds.observe({ kind }, durationMs / 1000);
      if (status === 'SUCCEEDED' || status === 'DEAD') finished.inc({ kind, outcome: status.toLowerCase() });
    },
  };
}
export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
