import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { AuthedContext, RequestContext } from '@rowline/kit';
import type { Sessions } from '../domain/sessions.js';
import { AuthPayload, LogInInput, SignUpInput, ViewerType } from './types.js';

@Resolver()
export class AuthResolver {
  constructor(private readonly sessions: Sessions) {}

  @Mutation(() => AuthPayload, { description: 'Creates a tenant with you as its owner, and logs you in.' })
  signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: RequestContext) {
    return this.sessions.signUp(input, ctx.clientAddress);
  }

  @Mutation(() => AuthPayload)
  logIn(@Arg('input', () => LogInInput) input: LogInInput, @Ctx() ctx: RequestContext) {
    return this.sessions.logIn(input, ctx.clientAddress);
  }

  @Mutation(() => AuthPayload, { description: 'Exchanges a refresh token for a new session; the old token stops working.' })
  refreshSession(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: RequestContext) {
    return this.sessions.refresh(refreshToken, ctx.clientAddress);
  }

  @Mutation(() => Boolean, { description: 'Revokes the refresh token and every token rotated from the same log-in.' })
  logOut(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: RequestContext) {
    return this.sessions.logOut(refreshToken, ctx.clientAddress);
  }

  @Authorized()
  @Query(() => ViewerType)
  me(@Ctx() ctx: AuthedContext) {
    return this.sessions.viewer(ctx.principal.subject, ctx.principal.tenantId);
  }
}
