import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, PASSWORD, principalOf, SESSION_FIELDS, startAuth, type AuthHarness, type Session } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const CHANGE = 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }';
const NEW_PASSWORD = 'a brand new passphrase';

describe('changing a password', () => {
  it('revokes every refresh token of the user, in every tenant, and only the new password logs in', async () => {
    const ada = await auth.signUp();
    const laptop = (await auth.logIn({ email: ada.user.email, password: PASSWORD })).data!.logIn;
    const other = await auth.signUp();
    const invited = await auth.gql('mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }',
      { i: { email: ada.user.email, role: 'MEMBER' } }, principalOf(other));
    const second = (await auth.gql(`mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { ${SESSION_FIELDS} } }`,
      { i: { token: invited.data.inviteMember.token, password: PASSWORD } })).data.acceptInvitation as Session;
    const bystander = await auth.signUp();

    const res = await auth.gql(CHANGE, { i: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, principalOf(ada), '203.0.113.9');
    expect(res.data).toEqual({ changePassword: true });
    for (const token of [ada.refreshToken, laptop.refreshToken, second.refreshToken]) {
      expect(codesOf(await auth.refresh(token))).toEqual(['UNAUTHENTICATED']);
    }
    const live = await auth.sql('select 1 from auth.refresh_tokens where user_id = ? and revoked_at is null', [ada.user.id]);
    expect(live).toEqual([]);
    expect(codesOf(await auth.refresh(bystander.refreshToken))).toEqual([]);

    expect(codesOf(await auth.logIn({ email: ada.user.email, password: PASSWORD }))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: NEW_PASSWORD }))).toEqual([]);
    const events = await auth.sql<{ type: string; address: string }>(
      `select type, address from auth.audit_events where actor_id = ? and type = 'password.changed'`, [ada.user.id]);
    expect(events).toEqual([{ type: 'password.changed', address: '203.0.113.9' }]);
  });

  it('refuses a wrong current password with UNAUTHENTICATED and changes nothing', async () => {
    const ada = await auth.signUp();
    const res = await auth.gql(CHANGE, { i: { currentPassword: 'not my password', newPassword: NEW_PASSWORD } }, principalOf(ada));
    expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await auth.refresh(ada.refreshToken))).toEqual([]);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: PASSWORD }))).toEqual([]);
  });

  it('refuses a too short new password with BAD_USER_INPUT naming the field', async () => {
    const ada = await auth.signUp();
    const res = await auth.gql(CHANGE, { i: { currentPassword: PASSWORD, newPassword: 'short' } }, principalOf(ada));
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions.field).toBe('newPassword');
  });

  it('needs a logged-in caller', async () => {
    const res = await auth.gql(CHANGE, { i: { currentPassword: PASSWORD, newPassword: `${randomUUID()}` } });
    expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
  });
});
