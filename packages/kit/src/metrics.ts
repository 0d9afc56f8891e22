import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';

/** A registry per service instance (not prom-client's global), so the embedded mode can host several. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'rowline_http_requests_total', help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const, registers: [registry],
  });
  const graphqlDuration = new Histogram({
    name: 'rowline_graphql_operation_seconds', help: 'GraphQL operation duration',
    labelNames: ['operation', 'outcome'] as const, registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  return { registry, httpRequests, graphqlDuration };
}
export type Metrics = ReturnType<typeof createMetrics>;
