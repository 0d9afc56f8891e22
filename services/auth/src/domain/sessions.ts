import { createHash, randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { AppError, badInput, conflict, newId, permissionsOf, type EntityManager, type Role } from '@rowline/kit';
import { MembershipEntity, RefreshTokenEntity, TenantEntity, UserEntity, type Tenant, type User } from '../store/entities.js';
import { recordAudit } from './audit.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { addressKey, DEFAULT_LOGIN_LIMITS, type LoginLimits, type RateLimits } from './rate-limits.js';
import type { SigningKeys } from './signing-keys.js';

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) throw badInput('email is not a valid address', { field: 'email' });
  return email;
}

export function checkPassword(password: string, field = 'password'): void {
  if (password.length < 10 || password.length > 256) throw badInput(`${field} must have 10 to 256 characters`, { field });
}

export function checkName(value: string, field: string): string {
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > 200) throw badInput(`${field} must have 1 to 200 characters`, { field });
  return trimmed;
}

export type Session = {
  accessToken: string; refreshToken: string; expiresAt: Date; user: User; tenant: Tenant; role: Role;
};

const NOBODY = '00000000-0000-0000-0000-000000000000';
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const invalidLogin = () => new AppError('UNAUTHENTICATED', 'Invalid email, password or tenant');

export function slugify(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return slug || 'tenant';
}

/** Revokes every live refresh token of `userId` (in one tenant, or all), i.e. every session's family. */
export async function revokeSessions(em: EntityManager, userId: string, tenantId?: string): Promise<number> {
  return em.nativeUpdate(RefreshTokenEntity, { userId, ...(tenantId ? { tenantId } : {}), revokedAt: null }, { revokedAt: new Date() });
}

/**
 * Sign-up, log-in, refresh-token rotation and password changes. Log-in errors never reveal whether an
 * email exists: the same message, the same argon2id work, the same rate limits for known and unknown emails.
 */
export function createSessions(deps: { em: () => EntityManager; keys: SigningKeys; limits: RateLimits; loginLimits?: LoginLimits }) {
  const loginLimits = deps.loginLimits ?? DEFAULT_LOGIN_LIMITS;
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

  /**
   * Whether `password` is the user's, counted against the account's log-in limit like a log-in: the other
   * places a password is typed (a password change, accepting an invitation) must not be a way around it.
   */
  async function checkAccountPassword(user: User, password: string): Promise<boolean> {
    const accountKey = `login:account:${user.email}`;
    await deps.limits.check(accountKey, loginLimits.perAccount);
    const ok = await verifyPassword(password, user.passwordHash);
    if (!ok) await deps.limits.hit(accountKey, loginLimits.perAccount);
    return ok;
  }

  return {
    async signUp(input: { email: string; password: string; name: string; tenantName: string }, address?: string): Promise<Session> {
      const email = normalizeEmail(input.email);
      checkPassword(input.password);
      const name = checkName(input.name, 'name');
      const tenantName = checkName(input.tenantName, 'tenantName');
      const signUpKey = addressKey('signup', address);
      if (signUpKey) {
        await deps.limits.check(signUpKey, loginLimits.signUpPerAddress);
        await deps.limits.hit(signUpKey, loginLimits.signUpPerAddress);
      }
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
        recordAudit(tx, 'tenant.created', { tenantId: tenant.id, actorId: user.id, address });
        return issue(tx, user, tenant, 'OWNER');
      });
    },

    async logIn(input: { email: string; password: string; tenantSlug?: string | null }, address?: string): Promise<Session> {
      const em = deps.em();
      const email = input.email.trim().toLowerCase();
      // Keyed by the email as typed, known or not, so being limited reveals nothing about the account.
      const accountKey = `login:account:${email}`;
      const perAddressKey = addressKey('login', address);
      try {
        await deps.limits.check(accountKey, loginLimits.perAccount);
        if (perAddressKey) await deps.limits.check(perAddressKey, loginLimits.perAddress);
      } catch (err) {
        recordAudit(em, 'login.rate_limited', { address, details: { email } });
        await em.flush();
        throw err;
      }
      const user = await em.findOne(UserEntity, { email });
      // Verify against a dummy hash for unknown emails so the response time does not tell them apart.
      const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
      // The same queries run for an unknown email (with an id no one has), keeping the work alike.
      const memberships = await em.find(MembershipEntity, { userId: user?.id ?? NOBODY }, { orderBy: { createdAt: 'asc' } });
      const tenants = memberships.length ? await em.find(TenantEntity, { id: { $in: memberships.map((m) => m.tenantId) } }) : [];
      const tenant = input.tenantSlug ? tenants.find((t) => t.slug === input.tenantSlug) : tenants.find((t) => t.id === memberships[0]?.tenantId);
      const membership = tenant && memberships.find((m) => m.tenantId === tenant.id);
      if (!user || !ok || !tenant || !membership) {
        // A wrong password for a member shows in that tenant's audit log; nothing else names a tenant.
        recordAudit(em, 'login.failed', { tenantId: tenant?.id, actorId: user?.id, address, details: { email } });
        await em.flush();
        await deps.limits.hit(accountKey, loginLimits.perAccount);
        if (perAddressKey) await deps.limits.hit(perAddressKey, loginLimits.perAddress);
        throw invalidLogin();
      }
      await deps.limits.reset(accountKey);
      recordAudit(em, 'login.succeeded', { tenantId: tenant.id, actorId: user.id, address });
      return issue(em, user, tenant, membership.role);
    },

    /** Issues a session in `em`'s transaction (used when an accepted invitation logs its user in). */
    start: issue,

    checkAccountPassword,

    /** Checks the current password, stores the new one and revokes every session of the user, in every tenant. */
    async changePassword(userId: string, tenantId: string, input: { currentPassword: string; newPassword: string }, address?: string): Promise<boolean> {
      checkPassword(input.newPassword, 'newPassword');
      const em = deps.em();
      const user = await em.findOne(UserEntity, { id: userId });
      if (!user || !(await checkAccountPassword(user, input.currentPassword))) {
        throw new AppError('UNAUTHENTICATED', 'The current password is wrong', { field: 'currentPassword' });
      }
      const passwordHash = await hashPassword(input.newPassword);
      await em.transactional(async (tx) => {
        await tx.nativeUpdate(UserEntity, { id: userId }, { passwordHash });
        const revoked = await revokeSessions(tx, userId);
        recordAudit(tx, 'password.changed', { tenantId, actorId: userId, address, details: { revokedTokens: revoked } });
      });
      return true;
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
          recordAudit(tx, 'refresh_token.reused', { tenantId: row.tenantId, actorId: row.userId, address, details: { familyId: row.familyId } });
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

    async logOut(refreshToken: string, address?: string): Promise<boolean> {
      const em = deps.em();
      const row = await em.findOne(RefreshTokenEntity, { tokenHash: sha256(refreshToken) });
      if (!row) return true;
      await em.nativeUpdate(RefreshTokenEntity, { familyId: row.familyId, revokedAt: null }, { revokedAt: new Date() });
      recordAudit(em, 'session.logged_out', { tenantId: row.tenantId, actorId: row.userId, address, details: { familyId: row.familyId } });
      await em.flush();
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
