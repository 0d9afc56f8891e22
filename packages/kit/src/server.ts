import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError, appErrorOf, formatGraphQLError, isInternalError } from './errors.js';
import type { InternalTokens, Principal } from './internal-token.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { tenantEm } from './orm.js';
import { traceRequests } from './tracing.js';
import type { RequestContext } from './context.js';

export const INTERNAL_TOKEN_HEADER = 'x-rowline-internal-token';
/** Set by the gateway only; subgraphs are reachable only from the gateway (network policy). */
export const CLIENT_ADDRESS_HEADER = 'x-rowline-client-address';

export type ReadinessCheck = { name: string; check: () => Promise<void> | void };

export type ServiceServerOptions = {
  name: string;
  logger: Logger;
  /** Defaults to a registry of this service's own. */
  metrics?: Metrics;
  schema?: GraphQLSchema;
  orm?: MikroORM;
  tokens: InternalTokens;
  readiness?: ReadinessCheck[];
  /** Plain HTTP routes (uploads, internal calls); mounted before GraphQL. */
  routes?: (app: Express) => void;
  exposeInternalErrors?: boolean;
  /**
   * How long one request may take, body included (Node's default is 300 s). Raise it only where large
   * bodies stream (uploads); headers must still arrive within Node's 60 s headersTimeout.
   */
  requestTimeoutMs?: number;
};

/**
 * The HTTP face every service shares: `/healthz` (the process is alive), `/readyz` (its dependencies
 * answer), `/metrics` (Prometheus) and `/graphql` (the subgraph). Subgraph calls must carry the internal
 * token; without it the caller is anonymous and every protected field answers UNAUTHENTICATED.
 */
export async function createServiceServer(options: ServiceServerOptions) {
  const opts = { ...options, metrics: options.metrics ?? createMetrics(options.name) };
  const app = express();
  app.disable('x-powered-by');
  // Only Rowline's own services call a service, and never conditionally: hashing every JSON answer into an
  // ETag was work nobody read. (Downloads set their own ETag, the file's sha256.)
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    const requestId = headerOf(req, 'x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    res.locals.requestId = requestId;
    next();
  });
  app.use(countRequests(opts.metrics));
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  // A service with a database is ready only when it answers; other checks come from the service.
  const readiness: ReadinessCheck[] = [
    ...(opts.orm ? [{ name: 'postgres', check: async () => { await opts.orm!.em.getConnection().execute('select 1'); } }] : []),
    ...(opts.readiness ?? []),
  ];
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(readiness.map(async ({ name, check }) => {
      try { await check(); return { name, ok: true }; } catch (err) { return { name, ok: false, error: (err as Error).message }; }
    }));
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', opts.metrics.registry.contentType);
    res.send(await opts.metrics.registry.metrics());
  });
  opts.routes?.(app);

  let apollo: ApolloServer<RequestContext> | undefined;
  if (opts.schema) {
    apollo = new ApolloServer<RequestContext>({
      schema: opts.schema,
      introspection: true,
      includeStacktraceInErrorResponses: false,
      csrfPrevention: true,
      // Shutdown order is the process's (kit onShutdown): Apollo must not stop itself and re-raise the signal.
      stopOnTerminationSignals: false,
      formatError: (formatted, error) => formatGraphQLError(formatted, error, { exposeInternal: !!opts.exposeInternalErrors }),
      // Inline traces are for Apollo's hosted studio, which Rowline does not use. No schema has cache hints, so
      // the cache-control plugin's per-field bookkeeping (on by default) would only ever compute "no cache".
      plugins: [
        graphqlTimingPlugin(opts.metrics), internalErrorLogPlugin(opts.logger),
        ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(),
      ],
    });
    await apollo.start();
    // Every subgraph call must come through the gateway (or a sibling service) with a valid internal
    // token; anonymous callers such as sign-up carry an anonymous one. A direct call is refused here,
    // before any resolver runs.
    app.use('/graphql', async (req, res, next) => {
      const token = headerOf(req, INTERNAL_TOKEN_HEADER);
      try {
        if (!token) throw new AppError('UNAUTHENTICATED', 'This subgraph only answers the gateway');
        res.locals.principal = await opts.tokens.verify(token, opts.name);
        next();
      } catch (err) {
        const code = appErrorOf(err)?.code ?? 'UNAUTHENTICATED';
        res.status(401).json({ errors: [{ message: appErrorOf(err)?.message ?? 'Invalid internal token', extensions: { code } }] });
      }
    });
    app.use('/graphql', express.json({ limit: '2mb' }), traceRequests(opts.name), expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        const principal = res.locals.principal as Principal | null;
        const logger = opts.logger.child({ requestId, tenantId: principal?.tenantId });
        const em = principal && opts.orm ? tenantEm(opts.orm, principal.tenantId) : null;
        return { requestId, principal, logger, em, clientAddress: headerOf(req, CLIENT_ADDRESS_HEADER) };
      },
    }));
  }

  let server: Server | undefined;
  return {
    app,
    /** The listening HTTP server (after `listen`). */
    get http(): Server | undefined { return server; },
    async listen(port: number, host = '127.0.0.1'): Promise<number> {
      server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
      });
      server.keepAliveTimeout = 65_000;
      if (opts.requestTimeoutMs !== undefined) server.requestTimeout = opts.requestTimeoutMs;
      return (server.address() as AddressInfo).port;
    },
    /** Stops taking new connections, lets in-flight requests finish, then stops Apollo. */
    async close(): Promise<void> {
      if (server) await closeHttpServer(server);
      await apollo?.stop();
    },
  };
}
export type ServiceServer = Awaited<ReturnType<typeof createServiceServer>>;

/**
 * Stops taking connections and resolves once every open one is closed: idle ones at once, and one with a
 * request in flight as soon as it is answered and goes idle. Node closes only those idle at the call, and
 * keep-alive (65 s here) would hold the others, and the stop, until a deadline killed it.
 */
export function closeHttpServer(s: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => s.closeIdleConnections(), 100);
    s.close(() => { clearInterval(sweep); resolve(); });
    s.closeIdleConnections();
  });
}

function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Counts every answer in `rowline_http_requests_total` by route and status, once it is sent. The route is the
 * matched template (`/graphql`, `/files`, `/healthz`), never the path itself, which may carry ids or tokens and
 * would make a label value of each; anything no route matched is `unmatched`. Mount it before the routes.
 */
export function countRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => metrics.httpRequests.inc({ route: routeOf(req), status: String(res.statusCode) }));
    next();
  };
}

function routeOf(req: Request): string {
  return (req.route?.path as string | undefined) || req.baseUrl || 'unmatched';
}

/**
 * An operation as a label value: its type and its first root field (`mutation startExecution`, `query
 * _entities`), or `invalid` when it did not validate. Not its name: clients choose names (a subgraph sees the
 * gateway's `<client's name>__<subgraph>__<n>`), and label values must be few; a schema has so many fields.
 */
export function operationLabel(rc: { operation?: OperationDefinitionNode }): string {
  const op = rc.operation;
  if (!op) return 'invalid';
  const field = op.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return field ? `${op.operation} ${field.name.value}` : op.operation;
}

/** Times every GraphQL operation in `rowline_graphql_operation_seconds`, by operation (`operationOf`) and outcome. */
export function graphqlTimingPlugin<T extends object>(
  metrics: Metrics,
  operationOf: (rc: GraphQLRequestContextWillSendResponse<T>) => string = operationLabel,
): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const end = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse(rc) {
          end({ operation: operationOf(rc), outcome: rc.errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}

function internalErrorLogPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors(rc) {
          for (const error of rc.errors) {
            if (!isInternalError(error)) continue;
            (rc.contextValue.logger ?? logger).error({ err: error.originalError ?? error }, 'unexpected error');
          }
        },
      };
    },
  };
}
