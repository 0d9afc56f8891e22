import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  getOperationAST, getVariableValues, GraphQLError, parse, validate,
  type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { appErrorOf, type Logger, type Principal } from '@rowline/kit';
import { allowsText, type Safelist } from '../limits/safelist.js';
import type { Hub } from './hub.js';
import type { SubscriptionMetrics } from './metrics.js';
import { argumentError, compileSubscription } from './plan.js';
import { SubscriberQueue } from './subscriber-queue.js';

/** Close codes this server uses beyond graphql-ws's own (4400 bad request, 4408 init timeout, ...). */
export const CLOSE = {
  /** No access token, a bad one, or one that expired while the socket was open: reconnect with a fresh token. */
  unauthorized: 4401,
  /** The client read too slowly: its buffered updates passed the limit. */
  tooSlow: 4413,
} as const;

/**
 * Ping interval per socket (graphql-ws's default is 12 s): with 10,000 sockets every ping is a timer, a
 * frame out and a frame in, so fewer of them leave the event loop to updates. Proxies' idle timeouts are
 * usually 60 s or more.
 */
const KEEPALIVE_MS = 30_000;

export type SubscriptionSettings = {
  /**
   * Updates waiting for one subscription before its socket is dropped (progress coalesces and does not
   * pile up). Keep it well above the hub's batch of 32 updates per resolution.
   */
  queuedUpdates: number;
  /** Bytes written to one socket and not yet flushed before it is dropped. */
  bufferedBytes: number;
  /** Subscriptions one socket may hold. */
  subscriptionsPerSocket: number;
  /**
   * Subscribers with the same principal, document and variables share one resolution per run event. Off
   * only to measure the naive design (one gateway query per subscriber per event) in the benchmark.
   */
  shareResolutions: boolean;
};
export const DEFAULT_SETTINGS: SubscriptionSettings = {
  queuedUpdates: 256, bufferedBytes: 4 * 1024 * 1024, subscriptionsPerSocket: 100, shareResolutions: true,
};

/** What a subscriber's operations run with: its verified principal, for as long as its token lives. */
export type Connection = { principal: Principal; socket: WebSocket; clientAddress?: string; subscriptions: number; expiry?: NodeJS.Timeout };

export type ServerDeps = {
  logger: Logger;
  verify: (token: string) => Promise<Principal>;
  schema: () => GraphQLSchema | undefined;
  hub: Hub;
  metrics: SubscriptionMetrics;
  /** Queries and mutations sent over the socket run through the gateway like HTTP ones. */
  execute: (document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, conn: Connection) => Promise<ExecutionResult>;
  settings: SubscriptionSettings;
  /**
   * The public endpoint's persisted operations: when enforced, the socket runs only registered texts too
   * (graphql-ws always sends the text, so there is no hash-only form here).
   */
  safelist?: Safelist;
};

/** Takes the WebSocket upgrades of `/graphql` on the gateway's HTTP server and speaks graphql-ws on them. */
export function attachSubscriptionServer(server: Server, deps: ServerDeps) {
  const { metrics, settings: limits } = deps;
  let unshared = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const connections = new WeakMap<WebSocket, Connection>();
  const documents = documentCache();
  const onUpgrade = (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://gateway').pathname !== '/graphql') { socket.destroy(); return; }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);
  wss.on('connection', (ws) => {
    metrics.sockets.inc();
    ws.once('close', () => metrics.sockets.dec());
  });

  const refuse = (ws: WebSocket, reason: string) => { ws.close(CLOSE.unauthorized, reason); return false as const; };
  const dropSlow = (ws: WebSocket) => {
    if (ws.readyState !== ws.OPEN) return;
    metrics.drops.inc({ reason: 'too_slow' });
    ws.close(CLOSE.tooSlow, 'Too slow: the update buffer is full');
  };

  const disposable = useServer<Record<string, unknown>>({
    connectionInitWaitTimeout: 10_000,
    onConnect: async (ctx) => {
      const ws = ctx.extra.socket;
      const params = ctx.connectionParams ?? {};
      const header = typeof params.authorization === 'string' ? params.authorization : typeof params.Authorization === 'string' ? params.Authorization : undefined;
      const token = header ? /^bearer\s+(\S+)$/i.exec(header)?.[1] : typeof params.accessToken === 'string' ? params.accessToken : undefined;
      if (!token) return refuse(ws, 'Missing access token: send {authorization: "Bearer <token>"} in connection_init');
      let principal: Principal;
      try {
        principal = await deps.verify(token);
      } catch (err) {
        const e = appErrorOf(err);
        if (!e) deps.logger.error({ err }, 'token verification failed unexpectedly');
        return refuse(ws, e?.message ?? 'Invalid access token');
      }
      const conn: Connection = { principal, socket: ws, clientAddress: ctx.extra.request.socket.remoteAddress, subscriptions: 0 };
      // Verified above, so its `exp` is trustworthy; the socket lives no longer than the token.
      const exp = decodeJwt(token).exp;
      if (exp) {
        conn.expiry = setTimeout(() => { if (ws.readyState === ws.OPEN) ws.close(CLOSE.unauthorized, 'Access token expired'); }, Math.min(exp * 1000 - Date.now(), 2 ** 31 - 1));
        conn.expiry.unref();
      }
      connections.set(ws, conn);
      return true;
    },
    onClose: (ctx) => {
      const conn = connections.get(ctx.extra.socket);
      if (conn?.expiry) clearTimeout(conn.expiry);
    },
    onSubscribe: (ctx, _id, payload) => {
      const conn = connections.get(ctx.extra.socket)!;
      const schema = deps.schema();
      if (!schema) return [new GraphQLError('The gateway is starting', { extensions: { code: 'SERVICE_UNAVAILABLE' } })];
      if (!allowsText(deps.safelist, payload.query)) {
        return [new GraphQLError('Only registered operations are accepted', { extensions: { code: 'OPERATION_NOT_ALLOWED' } })];
      }
      const checked = documents.get(schema, payload.query);
      if (Array.isArray(checked)) return checked;
      const document = checked;
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [new GraphQLError('Unable to identify the operation', { extensions: { code: 'BAD_USER_INPUT' } })];
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
      if (coerced.errors) return coerced.errors.map((e) => withCode(e, 'BAD_USER_INPUT'));
      if (operation.operation === 'subscription' && conn.subscriptions >= limits.subscriptionsPerSocket) {
        return [new GraphQLError(`At most ${limits.subscriptionsPerSocket} subscriptions per socket`, { extensions: { code: 'RATE_LIMITED' } })];
      }
      return {
        schema, document, operationName: payload.operationName ?? undefined, variableValues: coerced.coerced, contextValue: conn,
      } satisfies ExecutionArgs;
    },
    subscribe: async (args) => {
      const conn = args.contextValue as Connection;
      const plan = compileSubscription(args.schema, args.document, args.operationName ?? undefined, args.variableValues as Record<string, unknown>);
      if (plan instanceof GraphQLError) return { errors: [withCode(plan, 'BAD_USER_INPUT')] };
      // One result, then complete, as an unknown run's NOT_FOUND: nothing is subscribed.
      const refused = argumentError(plan);
      if (refused) return { data: null, errors: [refused] };
      const { principal } = conn;
      const label = { field: plan.field };
      conn.subscriptions++;
      metrics.subscriptions.inc(label);
      const queue: SubscriberQueue = new SubscriberQueue({
        limit: limits.queuedUpdates,
        onOverflow: () => dropSlow(conn.socket),
        onCoalesced: () => metrics.coalesced.inc(),
        onEnd: () => { conn.subscriptions--; metrics.subscriptions.dec(label); deps.hub.remove(subscriber); },
      });
      const subscriber = {
        principal, plan, queue,
        groupKey: limits.shareResolutions
          ? JSON.stringify([principal.tenantId, principal.subject, principal.role, principal.scopes, plan.operationName ?? null, plan.document.loc?.source.body, plan.variableValues])
          : String(++unshared),
      };
      deps.hub.add(subscriber);
      return queue;
    },
    execute: (args) => deps.execute(args.document, (args.variableValues ?? {}) as Record<string, unknown>, args.operationName ?? undefined, args.contextValue as Connection),
    onNext: (ctx) => {
      metrics.pushed.inc();
      if (ctx.extra.socket.bufferedAmount > limits.bufferedBytes) dropSlow(ctx.extra.socket);
    },
  }, wss, KEEPALIVE_MS);

  return {
    async dispose() {
      server.off('upgrade', onUpgrade);
      await disposable.dispose();
    },
  };
}

/**
 * Parsed and validated documents by text: thousands of clients send the same few subscriptions, and
 * validating against the whole supergraph is the dearest step of a subscribe.
 */
function documentCache(max = 1000) {
  let forSchema: GraphQLSchema | undefined;
  const cache = new Map<string, DocumentNode | GraphQLError[]>();
  return {
    get(schema: GraphQLSchema, query: string): DocumentNode | GraphQLError[] {
      if (forSchema !== schema) { cache.clear(); forSchema = schema; }
      let checked = cache.get(query);
      if (!checked) {
        try {
          const document = parse(query);
          const invalid = validate(schema, document);
          checked = invalid.length ? invalid.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) : document;
        } catch (err) {
          checked = [withCode(err as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(query, checked);
      }
      return checked;
    },
  };
}

function withCode(err: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, path: err.path, extensions: { ...err.extensions, code } });
}
