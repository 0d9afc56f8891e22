import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, Role } from '@rowline/kit';
import { codesOf, PASSWORD, principalOf, SESSION_FIELDS, startAuth, type AuthHarness, type Session } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const INVITE = 'mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token invitation { id email role expiresAt } } }';
const ACCEPT = `mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { ${SESSION_FIELDS} } }`;
const CHANGE = 'mutation($u: ID!, $r: Role!) { changeMemberRole(userId: $u, role: $r) { id role user { id } } }';
const REMOVE = 'mutation($u: ID!) { removeMember(userId: $u) }';
const MEMBERS = 'query($first: Int, $after: String) { members(first: $first, after: $after) { totalCount edges { cursor node { role user { id email } } } pageInfo { hasNextPage endCursor } } }';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

async function invite(as: Principal, email: string, role: Role) {
  const res = await auth.gql(INVITE, { i: { email, role } }, as);
  if (!res.data) throw new Error(`invite failed: ${JSON.stringify(res.errors)}`);
  return res.data.inviteMember as { token: string; invitation: { id: string; email: string; role: Role } };
}

/** A tenant with an owner and one member of each other role, joined through invitations. */
async function team() {
  const owner = await auth.signUp();
  const as = principalOf(owner);
  const join = async (role: Role): Promise<Session & { principal: Principal }> => {
    const { token } = await invite(as, `${role.toLowerCase()}-${randomUUID()}@example.com`, role);
    const res = await auth.gql(ACCEPT, { i: { token, password: PASSWORD, name: role } });
    if (!res.data) throw new Error(`accept failed: ${JSON.stringify(res.errors)}`);
    const session = res.data.acceptInvitation as Session;
    return { ...session, principal: principalOf(session) };
  };
  return { owner: { ...owner, principal: as }, admin: await join('ADMIN'), member: await join('MEMBER'), viewer: await join('VIEWER') };
}

describe('invitations', () => {
  it('return the token once, store only its hash, and let a new person join and log in to that tenant', async () => {
    const owner = await auth.signUp();
    const email = `new-${randomUUID()}@example.com`;
    const { token, invitation } = await invite(principalOf(owner), email, 'MEMBER');
    expect(token).toMatch(/^rl_inv_[\w-]{43}$/);
    expect(invitation).toMatchObject({ email, role: 'MEMBER' });
    const stored = await auth.sql<{ row: string }>('select row_to_json(i)::text as row from auth.invitations i where id = ?', [invitation.id]);
    expect(stored[0]!.row).not.toContain(token.slice('rl_inv_'.length));
    expect(stored[0]!.row).toContain(sha256(token));

    const res = await auth.gql(ACCEPT, { i: { token, password: PASSWORD, name: 'Grace' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.acceptInvitation).toMatchObject({ role: 'MEMBER', tenant: { id: owner.tenant.id }, user: { email, name: 'Grace' } });
    const again = await auth.gql(ACCEPT, { i: { token, password: PASSWORD, name: 'Grace' } });
    expect(codesOf(again)).toEqual(['NOT_FOUND']);
  });

  it('let someone who already has an account join a second tenant with their password, then log in to either', async () => {
    const home = await auth.signUp({ tenantName: 'Home' });
    const other = await auth.signUp({ tenantName: 'Other' });
    const { token } = await invite(principalOf(other), home.user.email, 'VIEWER');
    expect(codesOf(await auth.gql(ACCEPT, { i: { token, password: 'not the password' } }))).toEqual(['UNAUTHENTICATED']);
    const joined = await auth.gql(ACCEPT, { i: { token, password: home.password } });
    expect(joined.data.acceptInvitation).toMatchObject({ user: { id: home.user.id }, tenant: { id: other.tenant.id }, role: 'VIEWER' });

    const intoOther = await auth.logIn({ email: home.user.email, password: home.password, tenantSlug: other.tenant.slug });
    expect(intoOther.data!.logIn).toMatchObject({ tenant: { id: other.tenant.id }, role: 'VIEWER' });
    const intoHome = await auth.logIn({ email: home.user.email, password: home.password, tenantSlug: home.tenant.slug });
    expect(intoHome.data!.logIn).toMatchObject({ tenant: { id: home.tenant.id }, role: 'OWNER' });
  });

  it('refuse an expired token, an unknown token, and a new account without a name', async () => {
    const owner = await auth.signUp();
    const expired = await invite(principalOf(owner), `late-${randomUUID()}@example.com`, 'MEMBER');
    await auth.sql(`update auth.invitations set expires_at = now() - interval '1 second' where id = ?`, [expired.invitation.id]);
    expect(codesOf(await auth.gql(ACCEPT, { i: { token: expired.token, password: PASSWORD, name: 'Late' } }))).toEqual(['NOT_FOUND']);
    expect(codesOf(await auth.gql(ACCEPT, { i: { token: 'rl_inv_made-up', password: PASSWORD, name: 'X' } }))).toEqual(['NOT_FOUND']);
    const nameless = await invite(principalOf(owner), `nameless-${randomUUID()}@example.com`, 'MEMBER');
    expect(codesOf(await auth.gql(ACCEPT, { i: { token: nameless.token, password: PASSWORD } }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuse inviting a current member (CONFLICT) and a malformed email (BAD_USER_INPUT)', async () => {
    const { owner, member } = await team();
    expect(codesOf(await auth.gql(INVITE, { i: { email: member.user.email, role: 'VIEWER' } }, owner.principal))).toEqual(['CONFLICT']);
    expect(codesOf(await auth.gql(INVITE, { i: { email: 'not-an-email', role: 'VIEWER' } }, owner.principal))).toEqual(['BAD_USER_INPUT']);
  });

  it('may be sent by owners and admins, never by members or viewers, and only an owner invites an owner', async () => {
    const { owner, admin, member, viewer } = await team();
    const email = () => `x-${randomUUID()}@example.com`;
    expect(codesOf(await auth.gql(INVITE, { i: { email: email(), role: 'OWNER' } }, owner.principal))).toEqual([]);
    expect(codesOf(await auth.gql(INVITE, { i: { email: email(), role: 'ADMIN' } }, admin.principal))).toEqual([]);
    expect(codesOf(await auth.gql(INVITE, { i: { email: email(), role: 'OWNER' } }, admin.principal))).toEqual(['FORBIDDEN']);
    for (const who of [member, viewer]) {
      expect(codesOf(await auth.gql(INVITE, { i: { email: email(), role: 'VIEWER' } }, who.principal))).toEqual(['FORBIDDEN']);
    }
  });
});

describe('members', () => {
  it('lists the tenant\'s members in pages, to anyone in it, and nobody from another tenant', async () => {
    const { owner, viewer } = await team();
    const first = await auth.gql(MEMBERS, { first: 3 }, viewer.principal);
    expect(first.data.members.totalCount).toBe(4);
    expect(first.data.members.edges.map((e: any) => e.node.role)).toEqual(['OWNER', 'ADMIN', 'MEMBER']);
    expect(first.data.members.pageInfo.hasNextPage).toBe(true);
    const rest = await auth.gql(MEMBERS, { first: 3, after: first.data.members.pageInfo.endCursor }, owner.principal);
    expect(rest.data.members.edges.map((e: any) => e.node.user.id)).toEqual([viewer.user.id]);
    expect(rest.data.members.pageInfo.hasNextPage).toBe(false);
    expect(rest.data.members.totalCount).toBe(4);
    const none = await auth.gql(MEMBERS, { first: 0 }, owner.principal);
    expect(none.data.members).toEqual({ totalCount: 4, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });

    const stranger = await auth.signUp();
    const theirs = await auth.gql(MEMBERS, {}, principalOf(stranger));
    expect(theirs.data.members.edges.map((e: any) => e.node.user.id)).toEqual([stranger.user.id]);
    expect(theirs.data.members.totalCount).toBe(1);
    for (const first of [101, -1]) {
      const refused = await auth.gql(MEMBERS, { first }, owner.principal);
      expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.extensions).toMatchObject({ argument: 'first' });
    }
  });

  it('change roles when an admin or owner asks, and the next refresh carries the new role', async () => {
    const { admin, member } = await team();
    const res = await auth.gql(CHANGE, { u: member.user.id, r: 'VIEWER' }, admin.principal);
    expect(res.data.changeMemberRole).toMatchObject({ role: 'VIEWER', user: { id: member.user.id } });
    const refreshed = await auth.refresh(member.refreshToken);
    expect(refreshed.data!.refreshSession.role).toBe('VIEWER');
  });

  it('keep the OWNER role to owners: an admin can neither promote to, demote from nor remove an owner', async () => {
    const { owner, admin, member } = await team();
    expect(codesOf(await auth.gql(CHANGE, { u: member.user.id, r: 'OWNER' }, admin.principal))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(CHANGE, { u: owner.user.id, r: 'VIEWER' }, admin.principal))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(REMOVE, { u: owner.user.id }, admin.principal))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(CHANGE, { u: admin.user.id, r: 'MEMBER' }, member.principal))).toEqual(['FORBIDDEN']);
    const roles = await auth.sql<{ role: string }>('select role from auth.memberships where tenant_id = ? order by id', [owner.tenant.id]);
    expect(roles.map((r) => r.role)).toEqual(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']);
  });

  it('never lose the last owner: demoting or removing them is a CONFLICT, with a second owner it works', async () => {
    const { owner, admin } = await team();
    expect(codesOf(await auth.gql(CHANGE, { u: owner.user.id, r: 'ADMIN' }, owner.principal))).toEqual(['CONFLICT']);
    expect(codesOf(await auth.gql(REMOVE, { u: owner.user.id }, owner.principal))).toEqual(['CONFLICT']);
    expect(codesOf(await auth.gql(CHANGE, { u: admin.user.id, r: 'OWNER' }, owner.principal))).toEqual([]);
    expect(codesOf(await auth.gql(CHANGE, { u: owner.user.id, r: 'ADMIN' }, owner.principal))).toEqual([]);
  });

  it('keep one owner when two owners demote each other at the same moment', async () => {
    const { owner, admin } = await team();
    await auth.gql(CHANGE, { u: admin.user.id, r: 'OWNER' }, owner.principal);
    const second = { ...admin.principal, role: 'OWNER' as const };
    // Both demotions queue behind a lock on the owners' rows, so they really overlap, whatever the timing.
    const gate = await auth.holdLock(`select id from auth.memberships where tenant_id = ? and role = 'OWNER' for update`, [owner.tenant.id]);
    const racing = Promise.all([
      auth.gql(CHANGE, { u: admin.user.id, r: 'ADMIN' }, owner.principal),
      auth.gql(CHANGE, { u: owner.user.id, r: 'ADMIN' }, second),
    ]);
    await gate.waiters(2);
    await gate.release();
    const results = await racing;
    expect(results.flatMap(codesOf).sort()).toEqual(['CONFLICT']);
    const owners = await auth.sql('select 1 from auth.memberships where tenant_id = ? and role = ?', [owner.tenant.id, 'OWNER']);
    expect(owners).toHaveLength(1);
  });

  it('remove a member, revoking their sessions in that tenant only', async () => {
    const { owner, member } = await team();
    const elsewhere = await auth.signUp();
    const { token } = await invite(principalOf(elsewhere), member.user.email, 'MEMBER');
    const otherTenant = (await auth.gql(ACCEPT, { i: { token, password: PASSWORD } })).data.acceptInvitation as Session;

    expect((await auth.gql(REMOVE, { u: member.user.id }, owner.principal)).data).toEqual({ removeMember: member.user.id });
    expect(codesOf(await auth.refresh(member.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await auth.refresh(otherTenant.refreshToken))).toEqual([]);
    expect(codesOf(await auth.logIn({ email: member.user.email, password: PASSWORD, tenantSlug: owner.tenant.slug }))).toEqual(['UNAUTHENTICATED']);
  });

  it('answer NOT_FOUND for a user of another tenant, or no user at all, and change nothing', async () => {
    const mine = await team();
    const theirs = await team();
    for (const u of [theirs.member.user.id, theirs.owner.user.id, randomUUID(), 'not-a-uuid']) {
      expect(codesOf(await auth.gql(CHANGE, { u, r: 'VIEWER' }, mine.owner.principal)), u).toEqual(['NOT_FOUND']);
      expect(codesOf(await auth.gql(REMOVE, { u }, mine.owner.principal)), u).toEqual(['NOT_FOUND']);
    }
    const roles = await auth.sql<{ role: string }>('select role from auth.memberships where tenant_id = ? order by id', [theirs.owner.tenant.id]);
    expect(roles.map((r) => r.role)).toEqual(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']);
  });

  it('say so when given a membership id (Member.id) instead of a user id, for this tenant\'s members only', async () => {
    const mine = await team();
    const theirs = await team();
    const membershipOf = async (tenantId: string, userId: string) =>
      (await auth.sql<{ id: string }>('select id from auth.memberships where tenant_id = ? and user_id = ?', [tenantId, userId]))[0]!.id;
    const own = await membershipOf(mine.owner.tenant.id, mine.member.user.id);
    for (const res of [await auth.gql(CHANGE, { u: own, r: 'VIEWER' }, mine.owner.principal), await auth.gql(REMOVE, { u: own }, mine.owner.principal)]) {
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toContain('Member.user.id');
      expect(res.errors![0]!.extensions!.argument).toBe('userId');
    }
    // Another tenant's membership id is no more than an unknown id.
    const foreign = await membershipOf(theirs.owner.tenant.id, theirs.member.user.id);
    expect(codesOf(await auth.gql(REMOVE, { u: foreign }, mine.owner.principal))).toEqual(['NOT_FOUND']);
    const roles = await auth.sql<{ role: string }>('select role from auth.memberships where tenant_id = ? order by id', [mine.owner.tenant.id]);
    expect(roles.map((r) => r.role)).toEqual(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']);
  });
});
