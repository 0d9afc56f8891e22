import { GraphQLSafeInt } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthedContext } from '@rowline/kit';
import type { Retention, Usage } from '../domain/retention.js';

@ObjectType('FileQuota', { description: 'How much the workspace stores, what it may store, and how long its files live.' })
class FileQuotaObject {
  @Field(() => GraphQLSafeInt, { description: 'Bytes of READY files and of uploads in progress (their declared size).' }) storedBytes!: number;
  @Field(() => GraphQLSafeInt) maxStoredBytes!: number;
  @Field(() => GraphQLSafeInt, { description: 'The largest file createUpload accepts.' }) maxUploadBytes!: number;
  @Field(() => Int, { description: 'Uploaded files expire this many hours after they become READY.' }) inputTtlHours!: number;
  @Field(() => Int, { description: 'Files written by runs expire this many days after they are written.' }) artifactTtlDays!: number;
}

@InputType()
class SetFileRetentionInput {
  @Field(() => Int) inputTtlHours!: number;
  @Field(() => Int) artifactTtlDays!: number;
}

const toObject = (u: Usage): FileQuotaObject => ({
  storedBytes: u.storedBytes, maxStoredBytes: u.maxStoredBytes, maxUploadBytes: u.maxUploadBytes,
  inputTtlHours: Math.round(u.inputTtlSeconds / 3600), artifactTtlDays: Math.round(u.artifactTtlSeconds / 86_400),
});

@Resolver()
export class QuotaResolver {
  constructor(private readonly retention: Retention) {}

  @Authorized('files:read')
  @Query(() => FileQuotaObject, { description: 'The workspace\'s file storage use, quotas and retention.' })
  async fileQuota(@Ctx() ctx: AuthedContext) {
    return toObject(await this.retention.usage(ctx.em, ctx.principal.tenantId));
  }

  @Authorized('files:admin')
  @Mutation(() => FileQuotaObject, { description: 'Sets how long the workspace\'s files live; applies to files that become READY from now on.' })
  async setFileRetention(@Arg('input', () => SetFileRetentionInput) input: SetFileRetentionInput, @Ctx() ctx: AuthedContext) {
    await this.retention.setRetention(ctx.em, ctx.principal.tenantId, input);
    return toObject(await this.retention.usage(ctx.em, ctx.principal.tenantId));
  }
}
