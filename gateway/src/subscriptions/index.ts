import type { Server } from 'node:http';
import type { Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { EventBus, Subscription } from '@rowline/bus';
import type { Logger, Principal } from '@rowline/kit';
import { TOPICS } from '@rowline/proto';
import type { Registry } from 'prom-client';
import { toRunEvent } from './events.js';
import { createHub, type Resolve } from './hub.js';
import { createSubscriptionMetrics } from './metrics.js';
import { buildSubscriptionSchema } from './schema.js';
import { attachSubscriptionServer, DEFAULT_SETTINGS, type ServerDeps, type SubscriptionSettings } from './server.js';
import type { Safelist } from '../limits/safelist.js';

export { CLOSE, DEFAULT_SETTINGS, type SubscriptionSettings } from './server.js';

export type SubscriptionLayerOptions = {
  logger: Logger;
  /** Where `executions.events` comes from: Kafka or the in-process bus. */
  bus: EventBus;
  /** Names this gateway's consumer group: stable per instance, so every instance sees every event. */
  instanceId: string;
  verify: (token: string) => Promise<Principal>;
  /** Runs a query through the gateway with a subscriber's principal. */
  resolve: Resolve;
  execute: ServerDeps['execute'];
  registry: Registry;
  settings?: Partial<SubscriptionSettings>;
  /** The public endpoint's persisted operations, enforced on the socket as on HTTP. */
  safelist?: Safelist;
  /** The cost limit of one operation, when the gateway enforces one: a resolution of many runs stays within it. */
  maxCost?: number;
};

/**
 * GraphQL subscriptions beside @apollo/gateway (which cannot execute them): graphql-ws on `/graphql`, a
 * schema that is the supergraph's API schema plus `Subscription`, and run events from the bus.
 */
export function createSubscriptionLayer(opts: SubscriptionLayerOptions) {
  let schema: GraphQLSchema | undefined;
  const metrics = createSubscriptionMetrics(opts.registry);
  const hub = createHub({ resolve: opts.resolve, logger: opts.logger, maxCost: opts.maxCost, onResolved: (ms) => metrics.resolution.observe(ms / 1000) });
  let server: ReturnType<typeof attachSubscriptionServer> | undefined;
  let consumer: Subscription | undefined;
  const groupId = `gateway-subscriptions-${opts.instanceId}`;
  return {
    groupId,
    /** Called with every API schema the gateway loads. */
    setApiSchema(apiSchema: GraphQLSchema): void { schema = buildSubscriptionSchema(apiSchema); },
    async attach(http: Server): Promise<void> {
      server = attachSubscriptionServer(http, {
        logger: opts.logger, verify: opts.verify, schema: () => schema, hub, metrics, execute: opts.execute,
        settings: { ...DEFAULT_SETTINGS, ...opts.settings }, safelist: opts.safelist,
      });
      consumer = await opts.bus.subscribe({
        topics: [TOPICS.executionEvents], groupId,
        // Offsets once a second rather than after every batch: far fewer Kafka requests under load.
        commitIntervalMs: 1_000,
        // Only routing happens here; resolutions run in the hub's lanes, so the consumer never waits on a client.
        handler: async (m) => {
          metrics.events.inc();
          let ev;
          try { ev = toRunEvent(m.value); } catch (err) { opts.logger.warn({ err, offset: m.offset }, 'undecodable run event skipped'); return; }
          if (ev) hub.publish(ev);
        },
      });
      await consumer.ready;
    },
    /**
     * `GET /healthz/subscriptions`: this instance's consumer group, whether the bus is healthy, and what it
     * holds now (the counters are on /metrics). 503 when the bus is not.
     */
    mount(app: Express): void {
      app.get('/healthz/subscriptions', async (_req, res) => {
        const bus = opts.bus.health();
        const gauge = async (g: { get(): Promise<{ values: Array<{ value: number }> }> }) => (await g.get()).values.reduce((n, v) => n + v.value, 0);
        res.status(bus.ok ? 200 : 503).json({
          status: bus.ok ? 'ok' : 'unavailable', groupId, bus, consuming: !!consumer,
          sockets: await gauge(metrics.sockets), subscriptions: await gauge(metrics.subscriptions), ...hub.stats(),
        });
      });
    },
    async close(): Promise<void> {
      await server?.dispose();
      await consumer?.stop();
    },
  };
}
export type SubscriptionLayer = ReturnType<typeof createSubscriptionLayer>;
