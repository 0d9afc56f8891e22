import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@rowline/kit';
import { codesOf, PASSWORD, principalOf, SESSION_FIELDS, startAuth, type AuthHarness, type Session } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const AUDIT = `query($first: Int, $after: String, $type: String) {
  auditEvents(first: $first, after: $after, type: $type) {
    totalCount edges { node { id type actorId tenantId address at details } } pageInfo { hasNextPage endCursor } } }`;
const ADDRESS = '192.0.2.44';

type Event = { id: string; type: string; actorId: string | null; tenantId: string; address: string | null; at: string; details: Record<string, unknown> };

/** A tenant whose history holds one of each event type an admin should see. */
async function eventfulTenant() {
  const owner = await auth.signUp();
  const as = principalOf(owner);
  const gql = (q: string, v: object, who: Principal | null = as) => auth.gql(q, v, who, ADDRESS);
  await auth.logIn({ email: owner.user.email, password: PASSWORD }, ADDRESS);
  await auth.logIn({ email: owner.user.email, password: 'wrong password!' }, ADDRESS);
  const email = `joiner-${randomUUID()}@example.com`;
  const invited = await gql('mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }', { i: { email, role: 'MEMBER' } });
  const joined = (await gql(`mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { ${SESSION_FIELDS} } }`,
    { i: { token: invited.data.inviteMember.token, password: PASSWORD, name: 'Joiner' } }, null)).data.acceptInvitation as Session;
  await gql('mutation($u: ID!) { changeMemberRole(userId: $u, role: ADMIN) { id } }', { u: joined.user.id });
  const rotated = (await auth.refresh(owner.refreshToken)).data!.refreshSession.refreshToken;
  await auth.refresh(owner.refreshToken);
  await gql('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword: PASSWORD, newPassword: 'another good passphrase' } });
  await gql('mutation($u: ID!) { removeMember(userId: $u) }', { u: joined.user.id });
  expect(rotated).toBeTruthy();
  return { owner, as, joined };
}

/** Every page of the log (with the type filter), checking that each page's totalCount counts them all. */
async function allEvents(as: Principal, type?: string): Promise<Event[]> {
  const events: Event[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await auth.gql(AUDIT, { first: 3, after, type }, as);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    events.push(...res.data.auditEvents.edges.map((e: { node: Event }) => e.node));
    totals.add(res.data.auditEvents.totalCount);
    if (!res.data.auditEvents.pageInfo.hasNextPage) {
      expect([...totals], `totalCount of ${type ?? 'every type'} on each page`).toEqual([events.length]);
      return events;
    }
    after = res.data.auditEvents.pageInfo.endCursor;
  }
  throw new Error('more pages than expected');
}

describe('auditEvents', () => {
  it('shows an admin every security event of the tenant, newest first, with actor, time and address', async () => {
    const { owner, as, joined } = await eventfulTenant();
    const events = await allEvents(as);
    expect(events.map((e) => e.type).reverse()).toEqual([
      'tenant.created', 'login.succeeded', 'login.failed', 'member.invited', 'invitation.accepted', 'member.role_changed',
      'refresh_token.reused', 'password.changed', 'member.removed',
    ]);
    expect(new Set(events.map((e) => e.tenantId))).toEqual(new Set([owner.tenant.id]));
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(byType['invitation.accepted']!.actorId).toBe(joined.user.id);
    expect(byType['member.role_changed']).toMatchObject({ actorId: owner.user.id, address: ADDRESS, details: { userId: joined.user.id, from: 'MEMBER', to: 'ADMIN' } });
    expect(byType['login.failed']).toMatchObject({ actorId: owner.user.id, address: ADDRESS });
    expect(byType['member.removed']).toMatchObject({ actorId: owner.user.id, details: { userId: joined.user.id, role: 'ADMIN' } });
    for (const e of events) expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('filters by type', async () => {
    const { as } = await eventfulTenant();
    const events = await allEvents(as, 'refresh_token.reused');
    expect(events.map((e) => e.type)).toEqual(['refresh_token.reused']);
  });

  it('filters by every type the log holds, API-key creation, rotation and revocation included', async () => {
    const { as } = await eventfulTenant();
    const key = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`;
    const created = (await auth.gql(key, { i: { name: 'Bank feed', scopes: ['files:read'] } }, as, ADDRESS)).data.createApiKey.apiKey.id;
    const rotated = (await auth.gql('mutation($id: ID!) { rotateApiKey(id: $id) { apiKey { id } } }', { id: created }, as, ADDRESS)).data.rotateApiKey.apiKey.id;
    await auth.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: rotated }, as, ADDRESS);
    const all = await allEvents(as);
    const types = [...new Set(all.map((e) => e.type))];
    expect(types).toEqual(expect.arrayContaining(['apiKey.created', 'apiKey.rotated', 'apiKey.revoked']));
    for (const type of types) {
      expect((await allEvents(as, type)).map((e) => e.id), type).toEqual(all.filter((e) => e.type === type).map((e) => e.id));
    }
    expect(await allEvents(as, 'apiKey.revoked')).toMatchObject([{ address: ADDRESS, details: { apiKeyId: rotated } }]);
    // Another tenant's filter finds none of these events.
    expect(await allEvents(principalOf(await auth.signUp()), 'apiKey.created')).toEqual([]);
  });

  it('shows one tenant nothing of another\'s, nor counts it', async () => {
    const mine = await eventfulTenant();
    const other = await auth.signUp();
    const theirs = await allEvents(principalOf(other));
    expect(theirs.map((e) => e.type)).toEqual(['tenant.created']);
    expect(JSON.stringify(theirs)).not.toContain(mine.owner.tenant.id);
    const counted = await auth.gql(AUDIT, { first: 0, type: 'login.failed' }, principalOf(other));
    expect(counted.data.auditEvents).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('answers first: 0 with no events, whether more exist, and their count', async () => {
    const { as } = await eventfulTenant();
    const res = await auth.gql(AUDIT, { first: 0 }, as);
    expect(res.data.auditEvents).toEqual({ totalCount: 9, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  it('is for owners and admins only: a member or viewer gets FORBIDDEN', async () => {
    const owner = await auth.signUp();
    for (const role of ['MEMBER', 'VIEWER'] as const) {
      const res = await auth.gql(AUDIT, {}, { ...principalOf(owner), role });
      expect(codesOf(res)).toEqual(['FORBIDDEN']);
    }
    expect(codesOf(await auth.gql(AUDIT, {}, { ...principalOf(owner), role: 'ADMIN' }))).toEqual([]);
  });

  it('refuses an unknown type, a bad cursor and an oversized page with BAD_USER_INPUT', async () => {
    const owner = await auth.signUp();
    for (const variables of [{ type: 'made.up' }, { after: 'not-a-cursor' }, { first: 1000 }, { first: -1 }]) {
      expect(codesOf(await auth.gql(AUDIT, variables, principalOf(owner))), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
    }
  });
});
