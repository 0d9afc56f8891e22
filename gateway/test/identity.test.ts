import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(); });
afterAll(async () => { await t?.stop(); });

const LOG_IN = 'mutation($i: LogInInput!) { logIn(input: $i) { accessToken refreshToken tenant { id } role } }';

describe('identity through the gateway', () => {
  it('answers repeated wrong passwords with RATE_LIMITED and a retryAfter in seconds, for known and unknown emails alike', async () => {
    const ada = await t.signUp('Limited');
    for (const email of [ada.email, `nobody-${randomUUID()}@example.com`]) {
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push(codesOf(await t.post(LOG_IN, { variables: { i: { email, password: 'wrong password!' } } }))[0]);
      expect(codes, email).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
      const limited = await t.post(LOG_IN, { variables: { i: { email, password: ada.password } } });
      expect(codesOf(limited)).toEqual(['RATE_LIMITED']);
      expect(limited.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    }
  });

  it('lets a person in two tenants log in to either, each token seeing only its own tenant\'s members', async () => {
    const home = await t.signUp('Home');
    const other = await t.signUp('Other');
    const invited = await t.post('mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }',
      { token: other.accessToken, variables: { i: { email: home.email, role: 'VIEWER' } } });
    const joined = await t.post('mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { tenant { id } role } }',
      { variables: { i: { token: invited.data!.inviteMember.token, password: home.password } } });
    expect(joined.data!.acceptInvitation).toEqual({ tenant: { id: other.tenantId }, role: 'VIEWER' });

    const intoOther = (await t.post(LOG_IN, { variables: { i: { email: home.email, password: home.password, tenantSlug: other.tenantSlug } } })).data!.logIn;
    expect(intoOther).toMatchObject({ tenant: { id: other.tenantId }, role: 'VIEWER' });
    const members = await t.post('{ me { tenant { id } role } members { edges { node { user { id } role } } } }', { token: intoOther.accessToken });
    expect(members.data!.me).toEqual({ tenant: { id: other.tenantId }, role: 'VIEWER' });
    expect(members.data!.members.edges.map((e: any) => e.node.user.id).sort()).toEqual([home.userId, other.userId].sort());
    const viewerInvites = await t.post('mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }',
      { token: intoOther.accessToken, variables: { i: { email: `x-${randomUUID()}@example.com`, role: 'VIEWER' } } });
    expect(codesOf(viewerInvites)).toEqual(['FORBIDDEN']);
  });

  it('records the client address the gateway saw in the audit log, not one the client claims', async () => {
    const ada = await t.signUp('Audited');
    await t.post(LOG_IN, { variables: { i: { email: ada.email, password: ada.password } }, headers: { 'x-rowline-client-address': '203.0.113.66' } });
    const events = await t.post('{ auditEvents(type: "login.succeeded") { edges { node { actorId address } } } }', { token: ada.accessToken });
    const [event] = events.data!.auditEvents.edges.map((e: any) => e.node);
    expect(event.actorId).toBe(ada.userId);
    expect(event.address).toMatch(/127\.0\.0\.1/);
  });

  it('revokes every session on a password change, through the gateway', async () => {
    const ada = await t.signUp('Changer');
    const changed = await t.post('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }',
      { token: ada.accessToken, variables: { i: { currentPassword: ada.password, newPassword: 'an entirely new passphrase' } } });
    expect(changed.data).toEqual({ changePassword: true });
    const refreshed = await t.post('mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }', { variables: { r: ada.refreshToken } });
    expect(codesOf(refreshed)).toEqual(['UNAUTHENTICATED']);
  });
});
