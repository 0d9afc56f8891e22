import { defineEntity, p } from '@mikro-orm/core';
import { ApiKeyEntity } from './api-key.entity.js';

/**
 * Every type the audit log records; `auditEvents(type:)` accepts only these and its description lists them.
 * AuditEventEntity's `type` is an `AuditType`, so an event whose type is missing here does not compile: the filter
 * cannot refuse a type the log holds.
 */
export const AUDIT_TYPES = [
  'tenant.created', 'login.succeeded', 'login.failed', 'login.rate_limited', 'member.invited', 'invitation.accepted',
  'member.role_changed', 'member.removed', 'refresh_token.reused', 'session.logged_out', 'password.changed',
  'signing_key.rotated', 'apiKey.created', 'apiKey.revoked', 'apiKey.rotated',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export const ROLE_VALUES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;

/** Auth's tables are not tenant-filtered: a user spans tenants, and every query here names its tenant. */
export const TenantEntity = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(200),
    slug: p.string().length(63),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Tenant = InstanceType<typeof TenantEntity.class>;

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(320),
    name: p.string().length(200),
    passwordHash: p.text().hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type User = InstanceType<typeof UserEntity.class>;

export const MembershipEntity = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    userId: p.uuid(),
    role: p.enum(ROLE_VALUES),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Membership = InstanceType<typeof MembershipEntity.class>;

/** Refresh tokens are stored as SHA-256 hashes; the raw token exists only in the client's hands. */
export const RefreshTokenEntity = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    id: p.uuid().primary(),
    familyId: p.uuid(),
    userId: p.uuid(),
    tenantId: p.uuid(),
    tokenHash: p.string().length(64),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type RefreshToken = InstanceType<typeof RefreshTokenEntity.class>;

export const SigningKeyEntity = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    kid: p.string().primary(),
    alg: p.string(),
    publicJwk: p.json<Record<string, unknown>>(),
    privatePkcs8: p.text().hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
    retiredAt: p.datetime().nullable(),
  },
});
export type SigningKey = InstanceType<typeof SigningKeyEntity.class>;

export const AuditEventEntity = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().nullable(),
    actorId: p.uuid().nullable(),
    // Typed, so no code can record a type the audit log's filter would refuse (AUDIT_TYPES).
    type: p.string().$type<AuditType>(),
    address: p.string().nullable(),
    details: p.json<Record<string, unknown>>(),
    at: p.datetime().onCreate(() => new Date()),
  },
});

export type AuditEvent = InstanceType<typeof AuditEventEntity.class>;

/** An invitation to join a tenant; like refresh tokens, only the token's SHA-256 is stored. */
export const InvitationEntity = defineEntity({
  name: 'Invitation',
  tableName: 'invitations',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    email: p.string().length(320),
    role: p.enum(ROLE_VALUES),
    tokenHash: p.string().length(64).hidden(),
    invitedBy: p.uuid().nullable(),
    expiresAt: p.datetime(),
    acceptedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Invitation = InstanceType<typeof InvitationEntity.class>;

export const entities = [
  TenantEntity, UserEntity, MembershipEntity, RefreshTokenEntity, SigningKeyEntity, AuditEventEntity, InvitationEntity, ApiKeyEntity,
];
