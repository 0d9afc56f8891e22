import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '@rowline/kit';
import { RoleEnum, UserType } from './types.js';

@ObjectType('Member')
export class MemberType {
  @Field(() => ID, { description: 'The membership; the person is `user`.' }) id!: string;
  @Field(() => UserType) user!: UserType;
  @Field(() => RoleEnum) role!: RoleEnum;
  @Field(() => Date) joinedAt!: Date;
}
export const MemberConnection = Connection(MemberType, 'Member');

@ObjectType('Invitation')
export class InvitationType {
  @Field(() => ID) id!: string;
  @Field(() => String) email!: string;
  @Field(() => RoleEnum) role!: RoleEnum;
  @Field(() => Date) expiresAt!: Date;
}

@ObjectType('InvitationPayload')
export class InvitationPayload {
  @Field(() => InvitationType) invitation!: InvitationType;
  @Field(() => String, { description: 'Shown once: give it to the invitee; only its hash is stored.' }) token!: string;
}

@InputType()
export class InviteMemberInput {
  @Field(() => String) email!: string;
  @Field(() => RoleEnum) role!: RoleEnum;
}

@InputType()
export class AcceptInvitationInput {
  @Field(() => String) token!: string;
  @Field(() => String, { description: 'A new password for a new account, or the password of the invited existing account.' }) password!: string;
  @Field(() => String, { nullable: true, description: 'Required when the invited email has no account yet.' }) name?: string | null;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => String) currentPassword!: string;
  @Field(() => String) newPassword!: string;
}

@ObjectType('AuditEvent')
export class AuditEventType {
  @Field(() => ID) id!: string;
  @Field(() => String) type!: string;
  @Field(() => ID, { nullable: true, description: 'The user who acted (or whose log-in failed), when known.' }) actorId!: string | null;
  @Field(() => ID) tenantId!: string;
  @Field(() => String, { nullable: true, description: 'The client address the gateway saw.' }) address!: string | null;
  @Field(() => Date) at!: Date;
  @Field(() => GraphQLJSON) details!: Record<string, unknown>;
}
export const AuditEventConnection = Connection(AuditEventType, 'AuditEvent');
