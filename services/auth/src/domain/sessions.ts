import { createHash, randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { AppError, badInput, conflict, newId, permissionsOf, type EntityManager, type Role } from '@rowline/kit';
import {
  AuditEventEntity, MembershipEntity, RefreshTokenEntity, TenantEntity, UserEntity, type Tenant, type User,
} from '../store/entities.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import type { SigningKeys } from './signing-keys.js';

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Session = {
  accessToken: string; refreshToken: string; expiresAt: Date; user: User; tenant: Tenant; role: Role;
};

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const invalidLogin = () => new AppError('UNAUTHENTICATED', 'Invalid email, password or tenant');

export function slugify(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return slug || 'tenant';
}

/** Sign-up, log-in and refresh-token rotation. Errors never reveal whether an email exists. */
export function createSessions(deps: { em: () => EntityManager; keys: SigningKeys }) {
  async function issue(em: EntityManager, user: User, tenant: Tenant, role: Role, familyId = newId()): Promise<Session> {
    const refreshToken = `rl_rt_${randomBytes(32).toString('base64url')}`;
    em.create(RefreshTokenEntity, {
      id: newId(), familyId, userId: user.id, tenantId: tenant.id, tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
    });
    await em.flush();
    const { token, expiresAt } = await deps.keys.signAccessToken({ userId: user.id, tenantId: tenant.id, role });
    return { accessToken: token, refreshToken, expiresAt, user, tenant, role };
  }

  const audit = (em: EntityManager, type: string, e: { tenantId?: string | null; actorId?: string | null; address?: string | null; details?: object }) =>
    em.create(AuditEventEntity, {
      id: newId(), type, tenantId: e.tenantId ?? null, actorId: e.actorId ?? null, address: e.address ?? null,
      details: { ...e.details },
    });

  return {
    async signUp(input: { email: string; password: string; name: string; tenantName: string }, address?: string): Promise<Session> {
      const email = input.email.trim().toLowerCase();
      if (!EMAIL.test(email) || email.length > 320) throw badInput('email is not a valid address', { field: 'email' });
      if (input.password.length < 10 || input.password.length > 256) {
        throw badInput('password must have 10 to 256 characters', { field: 'password' });
      }
      const name = input.name.trim();
      const tenantName = input.tenantName.trim();
      if (!name || name.length > 200) throw badInput('name must have 1 to 200 characters', { field: 'name' });
      if (!tenantName || tenantName.length > 200) throw badInput('tenantName must have 1 to 200 characters', { field: 'tenantName' });
      const passwordHash = await hashPassword(input.password);
      const em = deps.em();
      return em.transactional(async (tx) => {
        // Sign-ups take turns (for a few milliseconds; the hash is computed before): the email and slug
        // checks below are reads, and two at once would both pass and then fail on the unique indexes as
        // an internal error instead of CONFLICT or the next free slug.
        await tx.execute(`select pg_advisory_xact_lock(hashtext('auth.sign-up'))`);
        // One account per email. The message does not say whether the email exists elsewhere in detail.
        if (await tx.count(UserEntity, { email })) throw conflict('This email cannot be used to sign up; try logging in');
        const base = slugify(tenantName);
        let slug = base;
        for (let i = 2; await tx.count(TenantEntity, { slug }); i++) slug = `${base}-${i}`;
        const tenant = tx.create(TenantEntity, { id: newId(), name: tenantName, slug });
        const user = tx.create(UserEntity, { id: newId(), email, name, passwordHash });
        tx.create(MembershipEntity, { id: newId(), tenantId: tenant.id, userId: user.id, role: 'OWNER' });
        audit(tx, 'tenant.created', { tenantId: tenant.id, actorId: user.id, address });
        return issue(tx, user, tenant, 'OWNER');
      });
    },

    async logIn(input: { email: string; password: string; tenantSlug?: string | null }, address?: string): Promise<Session> {
      const em = deps.em();
      const email = input.email.trim().toLowerCase();
      const user = await em.findOne(UserEntity, { email });
      // Verify against a dummy hash for unknown emails so the response time does not tell them apart.
      const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
      const memberships = user && ok ? await em.find(MembershipEntity, { userId: user.id }, { orderBy: { createdAt: 'asc' } }) : [];
      const tenants = memberships.length ? await em.find(TenantEntity, { id: { $in: memberships.map((m) => m.tenantId) } }) : [];
      const tenant = input.tenantSlug ? tenants.find((t) => t.slug === input.tenantSlug) : tenants.find((t) => t.id === memberships[0]?.tenantId);
      const membership = tenant && memberships.find((m) => m.tenantId === tenant.id);
      if (!user || !ok || !tenant || !membership) {
        audit(em, 'login.failed', { tenantId: tenant?.id, actorId: user?.id, address, details: { email } });
        await em.flush();
        throw invalidLogin();
      }
      audit(em, 'login.succeeded', { tenantId: tenant.id, actorId: user.id, address });
      return issue(em, user, tenant, membership.role);
    },

    /**
     * Rotates a refresh token. A token that was already used means it leaked (or a client raced itself):
     * the whole family is revoked, so whoever holds the newer token must log in again too.
     */
    async refresh(refreshToken: string, address?: string): Promise<Session> {
      const tokenHash = sha256(refreshToken);
      // Read before taking the lock (on its own fork, so the transaction cannot reuse this stale copy): a
      // token still unused here but used once the lock is ours was spent by a concurrent refresh of the same
      // client, not replayed later, so that refresh alone is refused and the winner's new token lives.
      const before = await deps.em().findOne(RefreshTokenEntity, { tokenHash });
      // The reuse branch must commit the revocation and its audit event, so it returns instead of throwing
      // inside the transaction (a throw would roll them back).
      const outcome = await deps.em().transactional(async (tx): Promise<Session | undefined> => {
        const row = await tx.findOne(RefreshTokenEntity, { tokenHash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row || row.revokedAt || row.expiresAt < new Date()) return undefined;
        if (row.usedAt) {
          if (before && !before.usedAt) return undefined;
          await tx.nativeUpdate(RefreshTokenEntity, { familyId: row.familyId, revokedAt: null }, { revokedAt: new Date() });
          audit(tx, 'refresh_token.reused', { tenantId: row.tenantId, actorId: row.userId, address, details: { familyId: row.familyId } });
          await tx.flush();
          return undefined;
        }
        row.usedAt = new Date();
        const membership = await tx.findOne(MembershipEntity, { userId: row.userId, tenantId: row.tenantId });
        const user = await tx.findOne(UserEntity, { id: row.userId });
        const tenant = await tx.findOne(TenantEntity, { id: row.tenantId });
        if (!membership || !user || !tenant) throw new AppError('UNAUTHENTICATED', 'Invalid refresh token');
        return issue(tx, user, tenant, membership.role, row.familyId);
      });
      if (!outcome) throw new AppError('UNAUTHENTICATED', 'Invalid refresh token');
      return outcome;
    },

    async logOut(refreshToken: string): Promise<boolean> {
      const em = deps.em();
      const row = await em.findOne(RefreshTokenEntity, { tokenHash: sha256(refreshToken) });
      if (!row) return true;
      await em.nativeUpdate(RefreshTokenEntity, { familyId: row.familyId, revokedAt: null }, { revokedAt: new Date() });
      return true;
    },

    async viewer(userId: string, tenantId: string) {
      const em = deps.em();
      const [user, tenant, membership] = await Promise.all([
        em.findOne(UserEntity, { id: userId }), em.findOne(TenantEntity, { id: tenantId }),
        em.findOne(MembershipEntity, { userId, tenantId }),
      ]);
      if (!user || !tenant || !membership) throw new AppError('UNAUTHENTICATED', 'Your membership no longer exists');
      return { user, tenant, role: membership.role, permissions: [...permissionsOf(membership.role)] };
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;
