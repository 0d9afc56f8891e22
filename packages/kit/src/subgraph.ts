import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { authorize, type RequestContext } from './context.js';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@tag", "@inaccessible"])';

/** `__resolveReference` per entity type name: how the gateway turns `{__typename, id}` into an object. */
export type ReferenceResolvers = Record<
  string,
  (reference: { id: string } & Record<string, unknown>, ctx: RequestContext) => unknown
>;

/**
 * Builds a federated subgraph schema from type-graphql resolvers. `@Authorized('resource:action')` on a
 * field checks the verified caller's permissions; every subgraph shares this one rule.
 */
export async function buildSubgraph(opts: {
  resolvers: NonEmptyArray<Function>;
  orphanedTypes?: Function[];
  references?: ReferenceResolvers;
}): Promise<GraphQLSchema> {
  const typeSchema = await buildSchema({
    resolvers: opts.resolvers,
    orphanedTypes: opts.orphanedTypes ?? [],
    skipCheck: true,
    validate: false,
    authChecker: ({ context }, permissions) => {
      authorize(context as RequestContext, permissions[0]);
      return true;
    },
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(typeSchema)}`);
  const resolvers = createResolversMap(typeSchema) as Record<string, Record<string, unknown>>;
  for (const [typeName, resolve] of Object.entries(opts.references ?? {})) {
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference: resolve };
  }
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]);
}
