import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { type AuthedContext, type RequestContext } from '@rowline/kit';
import { AUDIT_TYPES, listAudit } from '../domain/audit.js';
import type { Members } from '../domain/members.js';
import type { Sessions } from '../domain/sessions.js';
import {
  AcceptInvitationInput, AuditEventConnection, ChangePasswordInput, InvitationPayload, InviteMemberInput, MemberConnection, MemberType,
} from './member.types.js';
import { AuthPayload, RoleEnum } from './types.js';

@Resolver()
export class MembersResolver {
  constructor(private readonly memberService: Members, private readonly sessions: Sessions) {}

  @Authorized('members:read')
  @Query(() => MemberConnection, { description: 'The members of your tenant, oldest first.' })
  members(@Ctx() ctx: AuthedContext, @Arg('first', () => Int, { nullable: true }) first?: number, @Arg('after', () => String, { nullable: true }) after?: string) {
    return this.memberService.list(ctx.principal.tenantId, { first, after });
  }

  @Authorized('members:write')
  @Mutation(() => InvitationPayload, { description: 'Invites someone by email; only an OWNER may invite an OWNER.' })
  async inviteMember(@Arg('input', () => InviteMemberInput) input: InviteMemberInput, @Ctx() ctx: AuthedContext) {
    return this.memberService.invite(ctx.principal, input, ctx.clientAddress);
  }

  @Mutation(() => AuthPayload, { description: 'Joins the invitation\'s tenant (creating the account if needed) and logs in to it.' })
  acceptInvitation(@Arg('input', () => AcceptInvitationInput) input: AcceptInvitationInput, @Ctx() ctx: RequestContext) {
    return this.memberService.accept(input, ctx.clientAddress);
  }

  @Authorized('members:write')
  @Mutation(() => MemberType, { description: 'A tenant keeps at least one OWNER (CONFLICT); only an OWNER touches the OWNER role.' })
  changeMemberRole(@Arg('userId', () => ID) userId: string, @Arg('role', () => RoleEnum) role: RoleEnum, @Ctx() ctx: AuthedContext) {
    return this.memberService.changeRole(ctx.principal, userId, role, ctx.clientAddress);
  }

  @Authorized('members:write')
  @Mutation(() => ID, { description: 'Removes the member and revokes their sessions in this tenant; the last OWNER stays (CONFLICT).' })
  removeMember(@Arg('userId', () => ID) userId: string, @Ctx() ctx: AuthedContext) {
    return this.memberService.remove(ctx.principal, userId, ctx.clientAddress);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Changes your password and revokes every refresh token you hold, in every tenant.' })
  changePassword(@Arg('input', () => ChangePasswordInput) input: ChangePasswordInput, @Ctx() ctx: AuthedContext) {
    return this.sessions.changePassword(ctx.principal.subject, ctx.principal.tenantId, input, ctx.clientAddress);
  }

  @Authorized('audit:read')
  @Query(() => AuditEventConnection, { description: 'Your tenant\'s security log, newest first.' })
  auditEvents(
    @Ctx() ctx: AuthedContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('type', () => String, { nullable: true, description: `One of: ${AUDIT_TYPES.join(', ')}` }) type?: string,
  ) {
    return listAudit(ctx.em, ctx.principal.tenantId, { first, after, type });
  }
}
