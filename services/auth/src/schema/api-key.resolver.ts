import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { ApiKeys } from '../domain/api-keys.js';
import { ApiKeyConnection, ApiKeyType, CreateApiKeyInput, CreatedApiKeyType } from './api-key.types.js';

@ArgsType()
class ApiKeysArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

/** Tenant admins manage partner keys; the keys themselves are used only on the gateway's /partner/graphql. */
@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeys) {}

  @Authorized('api-keys:read')
  @Query(() => ApiKeyConnection, { description: 'The tenant\'s API keys, newest first, revoked and expired ones included.' })
  async apiKeys(@Args(() => ApiKeysArgs) args: ApiKeysArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(args.first);
    return toConnection(await this.keys.list(ctx.principal.tenantId, { first: size, after: args.after }), size, args.after);
  }

  @Authorized('api-keys:write')
  @Mutation(() => CreatedApiKeyType, { description: 'Creates a read-only partner key; its secret is returned only here.' })
  createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: AuthedContext) {
    return this.keys.create(ctx.principal, input, ctx.clientAddress);
  }

  @Authorized('api-keys:write')
  @Mutation(() => ApiKeyType, { description: 'Stops the key at once (the gateway notices within its key cache lifetime).' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.keys.revoke(ctx.principal, id, ctx.clientAddress);
  }

  @Authorized('api-keys:write')
  @Mutation(() => CreatedApiKeyType, { description: 'A new key with the same scopes; the old one expires after overlapSeconds.' })
  rotateApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('overlapSeconds', () => Int, { defaultValue: 3600 }) overlapSeconds: number,
    @Ctx() ctx: AuthedContext,
  ) {
    return this.keys.rotate(ctx.principal, id, overlapSeconds, ctx.clientAddress);
  }
}
