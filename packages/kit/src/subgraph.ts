import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { authorize, type AuthedContext, type RequestContext } from './context.js';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@tag", "@inaccessible"])';

/**
 * `__resolveReference` per entity type name: how the gateway turns `{__typename, id}` into an object.
 * Each declares the permission it needs, checked like any field's.
 */
export type ReferenceResolvers = Record<string, {
  permission: string;
  resolve: (reference: { id: string } & Record<string, unknown>, ctx: AuthedContext) => unknown;
}>;

/**
 * Builds a federated subgraph schema from type-graphql resolvers. `@Authorized('resource:action')` on a
 * field checks the verified caller's permissions; every subgraph shares this one rule.
 */
export async function buildSubgraph(opts: {
  /** Resolver instances, built by the service with their dependencies passed in (no global container). */
  resolvers: object[];
  orphanedTypes?: Function[];
  references?: ReferenceResolvers;
}): Promise<GraphQLSchema> {
  const byClass = new Map<Function, object>(opts.resolvers.map((r) => [r.constructor, r]));
  const typeSchema = await buildSchema({
    resolvers: [...byClass.keys()] as NonEmptyArray<Function>,
    container: {
      get: (someClass: Function) => {
        const instance = byClass.get(someClass);
        if (!instance) throw new Error(`No resolver instance for ${someClass.name}`);
        return instance;
      },
    },
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
  for (const [typeName, { permission, resolve }] of Object.entries(opts.references ?? {})) {
    const __resolveReference = (reference: { id: string }, ctx: RequestContext) => {
      authorize(ctx, permission);
      return resolve(reference, ctx);
    };
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference };
  }
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]);
}
