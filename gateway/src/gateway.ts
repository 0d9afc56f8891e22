import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import express from 'express';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { AppError, appErrorOf, closeHttpServer, countRequests, createMetrics, graphqlTimingPlugin, operationLabel, traceRequests, type InternalTokens, type Logger, type Metrics } from '@rowline/kit';
import { createAccessTokenVerifier } from './access-tokens.js';
import { SubgraphDataSource, type GatewayContext } from './data-source.js';
import { answerUnknownPaths } from './fallbacks.js';
import { filesProxy } from './files-proxy.js';
import { mountGraphiQL } from './graphiql.js';
import { createPartnerEndpoint, type PartnerOptions } from './partner/endpoint.js';
import { SUBGRAPHS, type SubgraphName } from './env.js';
import { checkScalarVariables, scalarLiteralsRule } from './scalars.js';
import { createDefenses, DEFAULT_LIMITS, publicErrorFormatter, type LimitsConfig } from './limits/index.js';
import { createSubscriptionLayer, type SubscriptionSettings } from './subscriptions/index.js';
import { throughGateway } from './subscriptions/through-gateway.js';
import type { EventBus } from '@rowline/bus';

export type GatewayOptions = {
  logger: Logger;
  tokens: InternalTokens;
  supergraphSdl: string;
  /** Base URL of each subgraph service (its `/graphql` is appended). */
  urls: Record<SubgraphName, string>;
  /** Access-token claims, and how long a fetched JWKS is trusted (default 5 minutes; jwks-cache.ts). */
  jwt: { issuer: string; audience: string; jwksMaxAgeMs?: number };
  introspection?: boolean;
  exposeInternalErrors?: boolean;
  /** `/partner/graphql` for API keys: key cache lifetime, cost budget, contract supergraph. */
  partner?: PartnerOptions;
  /** The public endpoint's limits (gateway/src/limits); anything left out keeps its default. */
  limits?: Partial<LimitsConfig>;
  /** The process's metrics, when its bus reports on them too (main.ts); otherwise the gateway's own. */
  metrics?: Metrics;
  /** `executions.events` for GraphQL subscriptions (graphql-ws on `/graphql`); without it there are none. */
  bus?: EventBus;
  /** Stable per gateway instance: names its consumer group, so every instance sees every run event. */
  instanceId?: string;
  /** Limits of the subscription sockets (see subscriptions/server.ts for the defaults). */
  subscriptions?: Partial<SubscriptionSettings>;
  /** How long one subgraph fetch may take (default DEFAULT_SUBGRAPH_TIMEOUT_MS, 60 s). */
  subgraphTimeoutMs?: number;
};

/**
 * The public entry point: verifies the caller's access token, then plans each operation over the
 * subgraphs, signing an internal token for every subgraph call.
 */
export async function createGateway(opts: GatewayOptions) {
  const metrics = opts.metrics ?? createMetrics('gateway');
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const defenses = createDefenses(limits, { logger: opts.logger, registry: metrics.registry });
  const verify = createAccessTokenVerifier({ jwksUrl: new URL('/.well-known/jwks.json', opts.urls.auth).href, ...opts.jwt });
  const buildService = ({ name }: { name: string }) => {
    if (!SUBGRAPHS.includes(name as SubgraphName)) throw new Error(`Unknown subgraph ${name}`);
    return new SubgraphDataSource(name, new URL('/graphql', opts.urls[name as SubgraphName]).href, opts.tokens, opts.subgraphTimeoutMs);
  };
  const gateway = new ApolloGateway({ supergraphSdl: opts.supergraphSdl, buildService });
  checkScalarVariables(gateway, opts.logger);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: opts.introspection ?? true,
    csrfPrevention: true,
    // Shutdown order is the process's (kit onShutdown): Apollo must not stop itself and re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: publicErrorFormatter({ exposeInternal: !!opts.exposeInternalErrors }),
    ...defenses.apollo,
    // Timed by type and root field (kit's operationLabel). The queries that resolve a run's update for its
    // subscribers are timed as `subscription update`, apart from clients' queries.
    plugins: [graphqlTimingPlugin(metrics, (rc) => (rc.contextValue.subscriptionUpdate ? 'subscription update' : operationLabel(rc))), ...defenses.apollo.plugins],
    validationRules: [scalarLiteralsRule, ...defenses.apollo.validationRules],
  });
  const viaGateway = throughGateway(() => apollo);
  const subscriptions = opts.bus && createSubscriptionLayer({
    logger: opts.logger, bus: opts.bus, instanceId: opts.instanceId ?? hostname(), verify, registry: metrics.registry,
    ...viaGateway, settings: opts.subscriptions, safelist: limits.safelist,
    // A resolution is charged to the tenant's budget too: one costing more than a minute's budget would be refused every time.
    maxCost: limits.enabled ? Math.min(limits.maxCost, limits.costBudgetPerMinute) : undefined,
  });
  if (subscriptions) gateway.onSchemaLoadOrUpdate(({ apiSchema }) => subscriptions.setApiSchema(apiSchema));
  await apollo.start();
  const partner = await createPartnerEndpoint({
    ...opts.partner, logger: opts.logger, tokens: opts.tokens, authUrl: opts.urls.auth, buildService, shape: defenses.shape,
    introspection: opts.introspection ?? true, exposeInternalErrors: !!opts.exposeInternalErrors,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // The same request counts as every service's (kit): the gateway's 5xx alert and dashboard panels read them.
  app.use(countRequests(metrics));
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(SUBGRAPHS.map(async (name) => {
      try {
        const r = await fetch(new URL('/healthz', opts.urls[name]), { signal: AbortSignal.timeout(2000) });
        return { name, ok: r.ok };
      } catch { return { name, ok: false }; }
    }));
    const ok = checks.every((c) => c.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks });
  });
  subscriptions?.mount(app);
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.use('/files', filesProxy(opts.urls.files, opts.logger));
  partner.mount(app);
  const ide = mountGraphiQL(app, { endpoint: '/graphql' });
  app.get('/graphql', (req, res, next) => (req.accepts(['json', 'html']) === 'html' && !req.query.query ? ide(req, res) : next()));
  app.use('/graphql', defenses.bodyParser, traceRequests('gateway'), async (req, res, next) => {
    // Authenticate before any planning: a bad token never reaches a subgraph.
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    const header = req.headers.authorization;
    try {
      if (header) {
        const [scheme, token] = header.split(' ');
        if (scheme?.toLowerCase() !== 'bearer' || !token) throw new AppError('UNAUTHENTICATED', 'Use Authorization: Bearer <access token>');
        res.locals.principal = await verify(token);
      }
      next();
    } catch (err) {
      const e = appErrorOf(err);
      if (!e) opts.logger.error({ err, requestId }, 'token verification failed unexpectedly');
      // The error's details (an expired token's `hint`) go along; the code is always UNAUTHENTICATED here.
      res.status(401).json({ errors: [{ message: e?.message ?? 'Invalid access token', extensions: { ...e?.details, code: 'UNAUTHENTICATED', requestId } }] });
    }
  }, defenses.safelist, expressMiddleware(apollo, {
    context: async ({ req, res }) => ({
      principal: res.locals.principal ?? null,
      requestId: res.locals.requestId as string,
      clientAddress: req.ip,
    }),
  }));
  app.use('/graphql', defenses.errorHandler);
  answerUnknownPaths(app, [
    { path: '/graphql', what: 'GraphQL over HTTP and WebSocket, GraphiQL in a browser' },
    { path: '/partner/graphql', what: 'the partner API, with an API key' },
    { path: '/files/upload/<token>', what: 'PUT the bytes to createUpload\'s uploadUrl' },
    { path: '/files/download/<token>', what: 'a File\'s downloadUrl' },
    { path: '/healthz', what: 'liveness' },
    { path: '/readyz', what: 'readiness of every subgraph' },
    ...(subscriptions ? [{ path: '/healthz/subscriptions', what: 'the subscription layer' }] : []),
    { path: '/metrics', what: 'Prometheus metrics' },
  ]);

  let server: Server | undefined;
  return {
    app,
    async listen(port: number, host = '127.0.0.1') {
      server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
      });
      // Uploads stream through /files/*: allow them the time the files service allows (Node's default is 300 s).
      server.requestTimeout = 60 * 60_000;
      // Idle connections are kept longer than the proxies in front keep theirs (nginx and cloud load balancers:
      // 60 s), as every Rowline service does, so that the proxy, not the gateway, closes an idle connection: a
      // request sent on a connection at the moment the server closes it is lost (ECONNRESET, or a 502 from
      // the proxy). Node's default is 5 s.
      server.keepAliveTimeout = 65_000;
      await subscriptions?.attach(server);
      return (server.address() as AddressInfo).port;
    },
    async close() {
      await subscriptions?.close();
      if (server) await closeHttpServer(server);
      await apollo.stop();
      await partner.stop();
    },
  };
}
export type Gateway = Awaited<ReturnType<typeof createGateway>>;
