import { Arg, Args, ArgsType, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { FilesDomain } from '../domain/files.js';
import { CreateUploadInput, CreateUploadPayload, FileConnection, FileKind, FileStatus, FileType } from './types.js';

@ArgsType()
class FilesArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => FileKind, { nullable: true }) kind?: FileKind | null;
  @Field(() => FileStatus, { nullable: true, description: 'Only files in this status (DELETED files are never listed).' }) status?: FileStatus | null;
  @Field(() => String, { nullable: true, description: 'Only files whose name contains this text, in any case (1 to 200 characters).' }) nameContains?: string | null;
}

@Resolver(() => FileType)
export class FileResolver {
  constructor(private readonly domain: FilesDomain) {}

  @Authorized('files:read')
  @Query(() => FileConnection, { description: 'The tenant\'s files, newest first.' })
  async files(@Args(() => FilesArgs) args: FilesArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(args.first);
    return toConnection(await this.domain.list(ctx.em, { first: size, after: args.after, kind: args.kind, status: args.status, nameContains: args.nameContains }), size, args.after);
  }

  @Authorized('files:read')
  @Directive('@tag(name: "partner")')
  @Query(() => FileType)
  file(@Directive('@tag(name: "partner")') @Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.get(ctx.em, id);
  }

  @Authorized('files:write')
  @Mutation(() => CreateUploadPayload, { description: 'Starts an upload: PUT the bytes to uploadUrl, then the file becomes READY or REJECTED.' })
  createUpload(@Arg('input', () => CreateUploadInput) input: CreateUploadInput, @Ctx() ctx: AuthedContext) {
    return this.domain.createUpload(ctx.em, ctx.principal, input);
  }

  @Authorized('files:write')
  @Mutation(() => Boolean, { description: 'Deletes the file and its bytes.' })
  deleteFile(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.delete(ctx.em, id);
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => String, { nullable: true, description: 'A short-lived link to the bytes; only for READY files.' })
  downloadUrl(@Root() file: FileType) {
    return this.domain.downloadUrl(file);
  }
}
