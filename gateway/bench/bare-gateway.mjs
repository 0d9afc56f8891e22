// The baseline of the gateway benchmark: a bare @apollo/gateway on the same supergraph and subgraphs, with
// nothing of ours but the one header subgraphs require (an internal token, signed once at start for the
// benchmark's tenant, so the baseline pays no per-request signing). Prints its port on stdout.
//   PORT SUPERGRAPH_PATH INTERNAL_TOKEN_SECRET PRINCIPAL (JSON) AUTH_URL WORKFLOWS_URL ... node bare-gateway.mjs
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createInternalTokens, INTERNAL_TOKEN_HEADER } from '@rowline/kit';

const env = process.env;
const tokens = createInternalTokens(env.INTERNAL_TOKEN_SECRET);
const principal = JSON.parse(env.PRINCIPAL);
const names = ['auth', 'workflows', 'executions', 'files', 'delivery'];
const signed = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await tokens.sign(principal, n, 3600)])));

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(env.SUPERGRAPH_PATH, 'utf8'),
  buildService: ({ name }) => new (class extends RemoteGraphQLDataSource {
    willSendRequest({ request }) { request.http?.headers.set(INTERNAL_TOKEN_HEADER, signed[name]); }
  })({ url: new URL('/graphql', env[`${name.toUpperCase()}_URL`]).href }),
});
const server = new ApolloServer({ gateway, csrfPrevention: false });
const { url } = await startStandaloneServer(server, { listen: { port: Number(env.PORT ?? 0), host: '127.0.0.1' } });
console.log(JSON.stringify({ port: Number(new URL(url).port) }));
