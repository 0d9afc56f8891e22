import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startAuth, type AuthHarness } from './support/harness.js';

let auth: AuthHarness;
let ada: Awaited<ReturnType<AuthHarness['signUp']>>;
beforeAll(async () => {
  auth = await startAuth();
  ada = await auth.signUp({ email: `ada-${randomUUID()}@example.com`, tenantName: 'Ada Co' });
});
afterAll(async () => { await auth?.stop(); });

describe('log-in', () => {
  it('opens a session in the user\'s tenant, whatever the letter case of the email', async () => {
    const res = await auth.logIn({ email: ada.user.email.toUpperCase(), password: ada.password });
    expect(res.errors).toBeUndefined();
    expect(res.data!.logIn).toMatchObject({ user: { id: ada.user.id }, tenant: { id: ada.tenant.id }, role: 'OWNER' });
    expect(res.data!.logIn.refreshToken).not.toBe(ada.refreshToken);
  });

  it('opens the tenant named by its slug', async () => {
    const res = await auth.logIn({ email: ada.user.email, password: ada.password, tenantSlug: ada.tenant.slug });
    expect(res.data!.logIn.tenant.id).toBe(ada.tenant.id);
  });

  it('answers a wrong password and an unknown email with the same UNAUTHENTICATED message', async () => {
    const wrongPassword = await auth.logIn({ email: ada.user.email, password: 'not the password at all' });
    const unknownEmail = await auth.logIn({ email: `nobody-${randomUUID()}@example.com`, password: ada.password });
    expect(codesOf(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    expect(wrongPassword.errors).toEqual(unknownEmail.errors);
    expect(wrongPassword.data).toEqual(unknownEmail.data);
    expect(wrongPassword.errors![0]!.message).toBe('Invalid email, password or tenant');
  });

  it('answers another tenant\'s slug like a wrong password, so a tenant header or argument cannot switch tenant', async () => {
    const other = await auth.signUp({ tenantName: 'Other Co' });
    const res = await auth.logIn({ email: ada.user.email, password: ada.password, tenantSlug: other.tenant.slug });
    expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.errors![0]!.message).toBe('Invalid email, password or tenant');
  });

  it('records failed log-ins in the audit log without the password', async () => {
    const email = `probe-${randomUUID()}@example.com`;
    await auth.logIn({ email, password: 'guess-number-one' });
    const rows = await auth.sql<{ type: string; details: unknown }>(
      `select type, details from auth.audit_events where details->>'email' = ?`, [email]);
    expect(rows).toEqual([{ type: 'login.failed', details: { email } }]);
    expect(JSON.stringify(await auth.sql('select * from auth.audit_events'))).not.toContain('guess-number-one');
  });
});
