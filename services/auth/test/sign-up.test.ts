import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, codesOf, ISSUER, PASSWORD, SESSION_FIELDS, startAuth, type AuthHarness } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const signUp = (input: Record<string, string>) => auth.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { ${SESSION_FIELDS} } }`, {
  input: { email: `${randomUUID()}@example.com`, password: PASSWORD, name: 'Ada', tenantName: 'Acme', ...input },
});

describe('sign-up', () => {
  it('creates a tenant with the new user as its only owner', async () => {
    const session = await auth.signUp({ tenantName: 'Ünïcode Widgets & Co' });
    expect(session.role).toBe('OWNER');
    expect(session.tenant).toMatchObject({ name: 'Ünïcode Widgets & Co', slug: 'unicode-widgets-co' });

    const memberships = await auth.sql('select user_id, role from auth.memberships where tenant_id = ?', [session.tenant.id]);
    expect(memberships).toEqual([{ user_id: session.user.id, role: 'OWNER' }]);
    const audit = await auth.sql('select type, actor_id from auth.audit_events where tenant_id = ?', [session.tenant.id]);
    expect(audit).toEqual([{ type: 'tenant.created', actor_id: session.user.id }]);
  });

  it('returns an EdDSA access token that verifies against the served JWKS with the agreed claims', async () => {
    const session = await auth.signUp();
    const { payload, protectedHeader } = await jwtVerify(session.accessToken, createRemoteJWKSet(new URL(auth.jwksUrl)), {
      issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], typ: 'at+jwt',
    });
    const { keys } = (await (await fetch(auth.jwksUrl)).json()) as { keys: Array<{ kid: string }> };
    expect(keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    expect(payload).toMatchObject({ sub: session.user.id, tid: session.tenant.id, role: 'OWNER', typ: 'access' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBeGreaterThanOrEqual(15 * 60 - 1);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(15 * 60);
    expect(new Date(session.expiresAt).getTime()).toBe(payload.exp! * 1000);
  });

  it('gives every access token its own jti', async () => {
    const session = await auth.signUp();
    const again = await auth.refresh(session.refreshToken);
    const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    expect(jtiOf(again.data!.refreshSession.accessToken)).not.toBe(jtiOf(session.accessToken));
    expect(decodeProtectedHeader(session.accessToken)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
  });

  it('returns a refresh token that can be exchanged for a new session', async () => {
    const session = await auth.signUp();
    const refreshed = await auth.refresh(session.refreshToken);
    expect(refreshed.errors).toBeUndefined();
    expect(refreshed.data!.refreshSession).toMatchObject({ user: session.user, tenant: session.tenant, role: 'OWNER' });
  });

  it('refuses an email that already has an account, in any letter case, with CONFLICT', async () => {
    const email = `${randomUUID()}@example.com`;
    await auth.signUp({ email });
    for (const again of [email, email.toUpperCase(), `  ${email}  `]) {
      const res = await signUp({ email: again, tenantName: 'Second' });
      expect(codesOf(res), again).toEqual(['CONFLICT']);
    }
    const users = await auth.sql<{ n: string }>('select count(*) as n from auth.users where lower(email) = ?', [email]);
    expect(Number(users[0]!.n)).toBe(1);
  });

  it('lets only one of two simultaneous sign-ups with one email through, and answers the other CONFLICT', async () => {
    const email = `${randomUUID()}@example.com`;
    const results = await Promise.all([signUp({ email, tenantName: 'Race One' }), signUp({ email, tenantName: 'Race Two' })]);
    expect(results.map(codesOf).sort()).toEqual([[], ['CONFLICT']]);
    const users = await auth.sql<{ n: string }>('select count(*) as n from auth.users where email = ?', [email]);
    expect(Number(users[0]!.n)).toBe(1);
  });

  it('gives simultaneous sign-ups of one tenant name each a tenant of its own', async () => {
    const results = await Promise.all([1, 2, 3].map(() => signUp({ tenantName: 'Popular Name' })));
    expect(results.map(codesOf)).toEqual([[], [], []]);
    expect(new Set(results.map((r) => r.data!.signUp.tenant.slug)).size).toBe(3);
  });

  it.each([
    ['nine characters', 'ninechars'],
    ['nothing', ''],
    ['257 characters', 'p'.repeat(257)],
  ])('refuses a password of %s with BAD_USER_INPUT on the password field', async (_what, password) => {
    const res = await signUp({ password });
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions.field).toBe('password');
  });

  it.each(['not-an-email', 'a@b', 'two words@example.com', '@example.com', 'ada@', '', `${'a'.repeat(320)}@example.com`])(
    'refuses the email %j with BAD_USER_INPUT on the email field',
    async (email) => {
      const res = await signUp({ email });
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions.field).toBe('email');
    },
  );

  it('refuses a blank name or tenant name with BAD_USER_INPUT', async () => {
    expect(codesOf(await signUp({ name: '   ' }))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await signUp({ tenantName: '' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('creates nothing when it refuses a sign-up', async () => {
    const email = `${randomUUID()}@example.com`;
    await signUp({ email, password: 'short' });
    expect(await auth.sql('select id from auth.users where email = ?', [email])).toEqual([]);
  });

  it('gives two tenants of the same name different slugs', async () => {
    const first = await auth.signUp({ tenantName: 'Same Name Ltd' });
    const second = await auth.signUp({ tenantName: 'Same Name Ltd' });
    expect(first.tenant.slug).toBe('same-name-ltd');
    expect(second.tenant.slug).toBe('same-name-ltd-2');
  });

  it('stores the password only as a salted argon2id hash', async () => {
    const session = await auth.signUp();
    const [row] = await auth.sql<{ password_hash: string }>('select password_hash from auth.users where id = ?', [session.user.id]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[\w-]{22}\$[\w-]{43}$/);
    expect(row!.password_hash).not.toContain(PASSWORD);
  });
});
