import type { GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { formatGraphQLError, isInternalError, type Logger } from '@rowline/kit';
import type { GatewayContext } from './data-source.js';

/**
 * Internal errors reach clients as a generic message with the request id (the reply's `x-request-id`), so
 * every error of a response carries that id, and every internal one is logged with it and its real cause
 * (a subgraph's answer included): what the client quotes finds the log line. Both endpoints use it.
 */
export function errorReportingPlugin(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (!isInternalError(error)) continue;
            logger.error({ err: error, requestId: contextValue.requestId, path: error.path, extensions: error.extensions }, 'internal error, hidden from the client');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const requestId = contextValue.requestId;
          response.body.singleResult.errors = response.body.singleResult.errors.map((e): GraphQLFormattedError => ({ ...e, extensions: { ...e.extensions, requestId } }));
        },
      };
    },
  };
}

/** The client-visible shape of an error: the kit's (generic message for anything internal), with a path the client can read. */
export function gatewayErrorFormatter(opts: { exposeInternal: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shown = formatGraphQLError(formatted, error, opts);
    const path = clientPath(shown.path, error);
    return path === shown.path ? shown : { ...shown, path };
  };
}

type SubgraphError = { path?: ReadonlyArray<string | number> };

/**
 * Apollo Gateway builds the path of a subgraph's error from where it fetched the entities plus the
 * subgraph's own path. When the subgraph failed its whole `_entities` field (its reference resolver
 * refused the batch, e.g. a partner key without the scope), there is no item index to map, and the path
 * is the fetch's internal one: `["executions", "edges", "@", "node", "_entities"]`, where "@" stands for
 * every item of a list. The client gets the part that names a place in its response: up to that list
 * (`["executions", "edges"]`), or the object the entities hang under.
 */
function clientPath(path: GraphQLFormattedError['path'], error: unknown): GraphQLFormattedError['path'] {
  const own = subgraphErrorOf(error)?.path;
  if (!path || own?.[0] !== '_entities' || typeof own[1] === 'number' || path.length < own.length) return path;
  const fetchPath = path.slice(0, path.length - own.length);
  const list = fetchPath.indexOf('@');
  return list < 0 ? fetchPath : fetchPath.slice(0, list);
}

/** The error as the subgraph sent it: Apollo Gateway keeps it as the `originalError` of the error it adds `serviceName` to. */
function subgraphErrorOf(error: unknown): SubgraphError | undefined {
  let current = error as { extensions?: { serviceName?: unknown }; originalError?: unknown } | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.extensions?.serviceName === 'string') return current.originalError as SubgraphError | undefined;
    current = current.originalError as typeof current;
  }
  return undefined;
}
