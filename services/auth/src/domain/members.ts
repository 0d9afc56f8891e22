import { randomBytes } from 'node:crypto';
import { LockMode, raw } from '@mikro-orm/core';
import {
  AppError, badInput, batchLoader, conflict, findPage, forbidden, isUuid, newId, notFound, pageSize, perRequest, toConnection,
  type EntityManager, type Principal, type Role,
} from '@rowline/kit';
import { InvitationEntity, MembershipEntity, TenantEntity, UserEntity, type User } from '../store/entities.js';
import { recordAudit } from './audit.js';
import { hashPassword } from './passwords.js';
import { checkName, checkPassword, normalizeEmail, revokeSessions, sha256, type Session, type Sessions } from './sessions.js';

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

const invalidInvitation = () => new AppError('NOT_FOUND', 'This invitation does not exist, has expired or was already used');

/**
 * Who belongs to a tenant and with which role. Every operation names the caller's tenant (from the verified
 * principal), so another tenant's member is simply not found. Two rules hold whatever the order of calls:
 * a tenant always keeps an OWNER, and only an OWNER creates, changes or removes an OWNER.
 */
export function createMembers(deps: { em: () => EntityManager; sessions: Sessions }) {
  /** An ADMIN manages ADMINs, MEMBERs and VIEWERs; OWNERs are the owners' business. */
  function mayTouch(actor: Principal, ...roles: Role[]) {
    if (actor.role !== 'OWNER' && roles.includes('OWNER')) throw forbidden('Only an owner can grant, change or remove the OWNER role');
  }

  /**
   * Locks the tenant's OWNER rows, then the target's, so concurrent demotions and removals of owners take
   * turns: without it two owners demoting each other at once would both see "another owner remains".
   */
  async function lockTarget(tx: EntityManager, tenantId: string, userId: string) {
    if (!isUuid(userId)) throw notFound('Member', userId);
    const owners = await tx.find(MembershipEntity, { tenantId, role: 'OWNER' }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    const target = await tx.findOne(MembershipEntity, { tenantId, userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!target) {
      // `Member.id` names the membership, and the easy mistake is to pass it here: say so (this tenant's only).
      if (await tx.count(MembershipEntity, { tenantId, id: userId })) {
        throw badInput('This is a membership id (Member.id): pass the member\'s user id (Member.user.id)', { argument: 'userId' });
      }
      throw notFound('Member', userId);
    }
    return { owners, target };
  }

  const lastOwner = () => conflict('A tenant must keep at least one owner: make someone else OWNER first');

  /** Of `userIds`, the users who belong to `tenantId`, in one statement, by id (lowercase); the others are absent. */
  async function usersIn(tenantId: string, userIds: readonly string[]): Promise<Map<string, User>> {
    const members = raw('select "user_id" from "auth"."memberships" where "tenant_id" = ? and "user_id" = any(array[?]::uuid[])', [tenantId, [...userIds]]);
    const users = await deps.em().find(UserEntity, { id: { $in: members } } as never);
    return new Map(users.map((u) => [u.id, u]));
  }
  // The users one request names in one turn (the gateway's `_entities` call with a page of runs' `requestedBy`).
  const userLoads = perRequest<(userId: string) => Promise<User | null>>();

  return {
    /**
     * A user as another subgraph names it (a run's `requestedBy`): one who shares `tenantId`, else null. The users of
     * one request (`request`: any object that lives as long as it) named in one turn are read in one statement.
     */
    member(request: object, tenantId: string, userId: string): Promise<User | null> {
      // An id not in the canonical form names no user, as in the other subgraphs: null without a statement. Postgres
      // would refuse most of them (an internal error) and read a few (no hyphens, braces) as the uuid they spell.
      if (!isUuid(userId)) return Promise.resolve(null);
      const load = userLoads(request, tenantId, () => batchLoader((ids: readonly string[]) => usersIn(tenantId, ids), null));
      return load(userId.toLowerCase());
    },

    async list(tenantId: string, opts: { first?: number | null; after?: string | null }) {
      const size = pageSize(opts.first);
      const em = deps.em();
      const { rows, count } = await findPage(em, MembershipEntity, { tenantId }, { first: size, after: opts.after }, 'asc');
      const users = rows.length ? await em.find(UserEntity, { id: { $in: rows.map((r) => r.userId) } }) : [];
      const byId = new Map(users.map((u) => [u.id, u]));
      return toConnection({ rows: rows.map((m) => ({ id: m.id, role: m.role, joinedAt: m.createdAt, user: byId.get(m.userId)! })), count }, size, opts.after);
    },

    /** Creates an invitation; its token is returned here once and stored only as a hash. */
    async invite(actor: Principal, input: { email: string; role: Role }, address?: string) {
      const email = normalizeEmail(input.email);
      mayTouch(actor, input.role);
      const em = deps.em();
      const existing = await em.findOne(UserEntity, { email });
      if (existing && (await em.count(MembershipEntity, { tenantId: actor.tenantId, userId: existing.id }))) {
        throw conflict('This person is already a member');
      }
      const token = `rl_inv_${randomBytes(32).toString('base64url')}`;
      const invitation = em.create(InvitationEntity, {
        id: newId(), tenantId: actor.tenantId, email, role: input.role, tokenHash: sha256(token), invitedBy: actor.subject,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      });
      recordAudit(em, 'member.invited', { tenantId: actor.tenantId, actorId: actor.subject, address, details: { email, role: input.role, invitationId: invitation.id } });
      await em.flush();
      return { invitation, token };
    },

    /**
     * Joins the invitation's tenant as the invited email. A new person chooses a name and password; someone
     * who already has an account proves it with their password. Either way they are logged in to that tenant.
     */
    async accept(input: { token: string; password: string; name?: string | null }, address?: string): Promise<Session> {
      const em = deps.em();
      const found = await em.findOne(InvitationEntity, { tokenHash: sha256(input.token) });
      if (!found || found.acceptedAt || found.expiresAt <= new Date()) throw invalidInvitation();
      const existing = await em.findOne(UserEntity, { email: found.email });
      if (existing) {
        if (!(await deps.sessions.checkAccountPassword(existing, input.password))) {
          throw new AppError('UNAUTHENTICATED', 'Log in with the password of the invited account', { field: 'password' });
        }
      } else {
        checkPassword(input.password);
        if (!input.name) throw new AppError('BAD_USER_INPUT', 'name is required for a new account', { field: 'name' });
        checkName(input.name, 'name');
      }
      const passwordHash = existing ? undefined : await hashPassword(input.password);
      return em.transactional(async (tx) => {
        const invitation = await tx.findOne(InvitationEntity, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!invitation || invitation.acceptedAt) throw invalidInvitation();
        invitation.acceptedAt = new Date();
        const user = existing
          ? await tx.findOneOrFail(UserEntity, { id: existing.id })
          : tx.create(UserEntity, { id: newId(), email: invitation.email, name: input.name!.trim(), passwordHash: passwordHash! });
        if (await tx.count(MembershipEntity, { tenantId: invitation.tenantId, userId: user.id })) throw conflict('You are already a member');
        tx.create(MembershipEntity, { id: newId(), tenantId: invitation.tenantId, userId: user.id, role: invitation.role });
        recordAudit(tx, 'invitation.accepted', {
          tenantId: invitation.tenantId, actorId: user.id, address, details: { invitationId: invitation.id, role: invitation.role },
        });
        const tenant = await tx.findOneOrFail(TenantEntity, { id: invitation.tenantId });
        return deps.sessions.start(tx, user, tenant, invitation.role);
      });
    },

    async changeRole(actor: Principal, userId: string, role: Role, address?: string) {
      return deps.em().transactional(async (tx) => {
        const { owners, target } = await lockTarget(tx, actor.tenantId, userId);
        mayTouch(actor, target.role, role);
        if (target.role === 'OWNER' && role !== 'OWNER' && owners.length <= 1) throw lastOwner();
        const from = target.role;
        target.role = role;
        recordAudit(tx, 'member.role_changed', { tenantId: actor.tenantId, actorId: actor.subject, address, details: { userId, from, to: role } });
        const user = await tx.findOneOrFail(UserEntity, { id: userId });
        return { id: target.id, role: target.role, joinedAt: target.createdAt, user };
      });
    },

    /** Removes the member and ends their sessions in this tenant (their access token lapses within 15 minutes). */
    async remove(actor: Principal, userId: string, address?: string): Promise<string> {
      return deps.em().transactional(async (tx) => {
        const { owners, target } = await lockTarget(tx, actor.tenantId, userId);
        mayTouch(actor, target.role);
        if (target.role === 'OWNER' && owners.length <= 1) throw lastOwner();
        tx.remove(target);
        await revokeSessions(tx, userId, actor.tenantId);
        recordAudit(tx, 'member.removed', { tenantId: actor.tenantId, actorId: actor.subject, address, details: { userId, role: target.role } });
        return userId;
      });
    },
  };
}
export type Members = ReturnType<typeof createMembers>;
