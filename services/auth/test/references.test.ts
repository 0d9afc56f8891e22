import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { principalOf, startAuth, type AuthHarness, type GraphQLResult, type Session } from './support/harness.js';

/**
 * `User` as the gateway asks for it: one `_entities` call naming the `requestedBy` of a page of runs. A user who shares
 * the caller's tenant resolves, anyone else is null, each as it answers alone; and the call costs one statement however
 * many users it names.
 */

let auth: AuthHarness;
let ada: Session;
let bob: Session;
/** 30 members of Ada's tenant besides her; the first also belongs to Bob's. */
const members = Array.from({ length: 30 }, () => newId());

async function insertMember(tenantId: string, userId: string, insertUser = true) {
  if (insertUser) {
    await auth.sql(`insert into auth.users (id, email, name, password_hash, created_at) values (?, ?, ?, 'not a hash', now())`,
      [userId, `${userId}@example.com`, `Member ${userId}`]);
  }
  await auth.sql(`insert into auth.memberships (id, tenant_id, user_id, role, created_at) values (?, ?, ?, 'MEMBER', now())`, [newId(), tenantId, userId]);
}

beforeAll(async () => {
  auth = await startAuth();
  ada = await auth.signUp();
  bob = await auth.signUp({ tenantName: 'Someone Else' });
  for (const id of members) await insertMember(ada.tenant.id, id);
  await insertMember(bob.tenant.id, members[0]!, false);
});
afterAll(async () => { await auth?.stop(); });

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }`;
const refs = (ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));
/** Each item of `_entities`: its data, or the codes of the errors at its index (and the data, null). */
const answers = (result: GraphQLResult) => (result.data!._entities as unknown[]).map((data, i) => {
  const errors = (result.errors ?? []).filter((e) => e.path?.[1] === i);
  return errors.length ? { data, errors: errors.map((e) => e.extensions.code) } : { data };
});
const resolve = async (as: Session, ids: string[]) => answers(await auth.gql(ENTITIES, { r: refs(ids) }, principalOf(as)));

describe('User references of one _entities call', () => {
  it('answer each user what it answers alone: a fellow member, else null, the others unharmed', async () => {
    const ids = [
      members[0]!, bob.user.id, newId(), 'not-an-id', members[1]!.toUpperCase(), ada.user.id, '', members[0]!, members[2]!.replaceAll('-', ''), members[3]!,
    ];
    const together = await resolve(ada, ids);
    expect(together).toEqual(await Promise.all(ids.map(async (id) => (await resolve(ada, [id]))[0])));
    // An id that is not a canonical uuid names no user: null, as any id that does not resolve (no internal error
    // from the uuid cast), without its hyphens too.
    expect(together.map((a) => a.errors?.[0] ?? (a.data as any)?.id ?? null)).toEqual([
      members[0], null, null, null, members[1], ada.user.id, null, members[0], null, members[3],
    ]);
    expect(together.every((a) => !a.errors)).toBe(true);
    expect(together[4]!.data).toEqual({ id: members[1], name: `Member ${members[1]}`, email: `${members[1]}@example.com` });
  });

  it('read 30 users in one statement, however often each is named', async () => {
    const statements = async (ids: string[]) => {
      const { result, statements: sent } = await captureSql(auth.orm as never, () => auth.gql(ENTITIES, { r: refs(ids) }, principalOf(ada)));
      expect(result.errors).toBeUndefined();
      expect((result.data!._entities as unknown[]).every((u) => u !== null)).toBe(true);
      return selects(sent);
    };
    expect(await statements(members)).toHaveLength(1);
    expect(await statements(Array.from({ length: 30 }, () => ada.user.id))).toHaveLength(1);
    expect(await statements(members.slice(0, 5))).toHaveLength(1);
  });
});

describe('User references across tenants', () => {
  it('answer another tenant\'s users null, batched beside the caller\'s own and the members both tenants share', async () => {
    const result = await auth.gql(ENTITIES, { r: refs([members[1]!, bob.user.id, ada.user.id, members[0]!]) }, principalOf(bob));
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((u: any) => u?.id ?? null)).toEqual([null, bob.user.id, null, members[0]]);
    expect(JSON.stringify(result)).not.toContain(ada.user.email);
    expect(JSON.stringify(result)).not.toContain(members[1]);
  });
});
