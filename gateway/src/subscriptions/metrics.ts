import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What operators watch on /metrics: sockets, subscriptions, updates pushed and subscribers dropped. */
export function createSubscriptionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sockets: new Gauge({ name: 'rowline_subscription_sockets', help: 'Open graphql-ws sockets', registers }),
    subscriptions: new Gauge({ name: 'rowline_subscriptions_active', help: 'Active subscriptions', labelNames: ['field'] as const, registers }),
    events: new Counter({ name: 'rowline_subscription_bus_events_total', help: 'Run events consumed from executions.events', registers }),
    pushed: new Counter({ name: 'rowline_subscription_updates_pushed_total', help: 'Updates sent to subscribers', registers }),
    coalesced: new Counter({ name: 'rowline_subscription_updates_coalesced_total', help: 'Progress updates replaced by a newer one before they were sent', registers }),
    drops: new Counter({ name: 'rowline_subscription_drops_total', help: 'Sockets closed by the gateway', labelNames: ['reason'] as const, registers }),
    resolution: new Histogram({
      name: 'rowline_subscription_resolution_seconds', help: 'Resolving one update through the gateway (shared by a group of subscribers)',
      registers, buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
  };
}
export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;
