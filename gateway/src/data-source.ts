import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CLIENT_ADDRESS_HEADER, createHttpFetch, INTERNAL_TOKEN_HEADER, traceHeaders, type HttpFetch, type InternalTokens, type Principal } from '@rowline/kit';

/** Apollo's fetcher type; our response's `headers` is Node's Headers, iterable at runtime though not in the ES lib typings. */
type Fetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'];

export type GatewayContext = {
  principal: Principal | null; requestId: string; clientAddress?: string;
  /** The subscription layer resolving a run's update for its subscribers (not a client's operation). */
  subscriptionUpdate?: boolean;
};

/** How long a subgraph may take to answer one fetch before the gateway gives up on it (SUBGRAPH_TIMEOUT_MS). */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 60_000;

/**
 * `fetch` with a deadline: a subgraph that does not answer within `ms` (a lock wait, a hung process) fails
 * that fetch with a message saying so, where it held the client's request, and a subscription group's
 * resolution with it, for as long as the connection lived.
 */
export function withDeadline(fetch: HttpFetch, subgraph: string, ms: number): HttpFetch {
  return (url, init = {}) => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`The ${subgraph} service did not answer within ${ms} ms`)), ms);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    // node:http rejects an aborted request with a bare AbortError: the reason says why it was aborted.
    return fetch(url, { ...init, signal })
      .catch((err: unknown) => { throw signal.aborted && signal.reason instanceof Error ? signal.reason : err; })
      .finally(() => clearTimeout(timer));
  };
}

/**
 * Calls one subgraph with a fresh internal token for that subgraph's audience: subgraphs trust the
 * token's claims, never a header a client could have set.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(private readonly subgraph: string, url: string, private readonly tokens: InternalTokens, timeoutMs = DEFAULT_SUBGRAPH_TIMEOUT_MS) {
    // Node's http on keep-alive sockets rather than the default make-fetch-happen (or Node's fetch): a
    // third of their CPU per subgraph call, and their cache and retry layers are off for subgraphs anyway.
    super({ url, fetcher: withDeadline(createHttpFetch(), subgraph, timeoutMs) as unknown as Fetcher });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const ctx = context as Partial<GatewayContext>;
    const token = await this.tokens.sign(ctx.principal ?? null, this.subgraph);
    request.http?.headers.set(INTERNAL_TOKEN_HEADER, token);
    if (ctx.requestId) request.http?.headers.set('x-request-id', ctx.requestId);
    if (ctx.clientAddress) request.http?.headers.set(CLIENT_ADDRESS_HEADER, ctx.clientAddress);
    // The subgraph's span joins the trace of this fetch (Apollo Gateway's own gateway.fetch span).
    for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
  }
}
