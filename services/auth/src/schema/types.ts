import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { ROLES } from '@rowline/kit';

export enum RoleEnum { OWNER = 'OWNER', ADMIN = 'ADMIN', MEMBER = 'MEMBER', VIEWER = 'VIEWER' }
registerEnumType(RoleEnum, { name: 'Role', description: `Roles, from most to least powerful: ${ROLES.join(', ')}` });

@ObjectType('User')
@Directive('@key(fields: "id")')
export class UserType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String) email!: string;
}

@ObjectType('Tenant')
@Directive('@key(fields: "id")')
export class TenantType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'Unique, URL-safe; used to pick the tenant at log-in.' }) slug!: string;
}

@ObjectType('Viewer')
export class ViewerType {
  @Field(() => UserType) user!: UserType;
  @Field(() => TenantType) tenant!: TenantType;
  @Field(() => RoleEnum) role!: RoleEnum;
  @Field(() => [String], { description: '`resource:action` permissions, `*` as a wildcard.' }) permissions!: string[];
}

@ObjectType('AuthPayload')
export class AuthPayload {
  @Field(() => String, { description: 'A JWT for `Authorization: Bearer`, valid 15 minutes.' }) accessToken!: string;
  @Field(() => String, { description: 'Opaque; single use: each refresh returns a new one.' }) refreshToken!: string;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => UserType) user!: UserType;
  @Field(() => TenantType) tenant!: TenantType;
  @Field(() => RoleEnum) role!: RoleEnum;
}

@InputType()
export class SignUpInput {
  @Field(() => String) email!: string;
  @Field(() => String) password!: string;
  @Field(() => String) name!: string;
  @Field(() => String) tenantName!: string;
}

@InputType()
export class LogInInput {
  @Field(() => String) email!: string;
  @Field(() => String) password!: string;
  @Field(() => String, { nullable: true, description: 'Which tenant to log in to; defaults to the first joined.' }) tenantSlug?: string | null;
}
