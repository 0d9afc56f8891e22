import { randomUUID } from 'node:crypto';
import { GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import type { ApolloServer } from '@apollo/server';
import type { Principal } from '@rowline/kit';
import type { GatewayContext } from '../data-source.js';
import type { Resolve } from './hub.js';
import type { ServerDeps } from './server.js';

/**
 * Operations of the socket run through the same Apollo pipeline as HTTP ones (plan, internal tokens,
 * subgraph calls), in process, with the subscriber's principal as the context.
 */
export function throughGateway(apollo: () => ApolloServer<GatewayContext>) {
  async function run(query: string | DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, principal: Principal, clientAddress?: string, subscriptionUpdate = false) {
    const res = await apollo().executeOperation({ query, variables, operationName }, { contextValue: { principal, requestId: randomUUID(), clientAddress, subscriptionUpdate } });
    if (res.body.kind !== 'single') throw new Error('Incremental delivery is not supported over the socket');
    return res.body.singleResult;
  }
  const resolve: Resolve = (query, variables, principal) => run(query, variables, undefined, principal, undefined, true);
  const execute: ServerDeps['execute'] = async (document, variables, operationName, conn): Promise<ExecutionResult> => {
    const r = await run(document, variables, operationName, conn.principal, conn.clientAddress);
    return {
      data: r.data as ExecutionResult['data'],
      ...(r.errors ? { errors: r.errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}),
    };
  };
  return { resolve, execute };
}
