import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, principalOf, startAuth, type AuthHarness } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const ME = '{ me { role permissions user { id email } tenant { id slug } } }';

/** Adds an existing user to a tenant straight in the database: the invitation flow is not built yet. */
async function addMember(tenantId: string, userId: string, role: string) {
  await auth.sql('insert into auth.memberships (id, tenant_id, user_id, role, created_at) values (?, ?, ?, ?, now())',
    [randomUUID(), tenantId, userId, role]);
}

describe('me', () => {
  it('answers the owner with their user, tenant, role and permissions', async () => {
    const ada = await auth.signUp();
    const res = await auth.gql(ME, {}, principalOf(ada));
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toEqual({
      role: 'OWNER', permissions: ['*:*'], user: { id: ada.user.id, email: ada.user.email }, tenant: { id: ada.tenant.id, slug: ada.tenant.slug },
    });
  });

  it('answers with the role the membership holds, listing a viewer\'s read-only permissions', async () => {
    const owner = await auth.signUp();
    const bob = await auth.signUp();
    await addMember(owner.tenant.id, bob.user.id, 'VIEWER');
    const res = await auth.gql(ME, {}, { ...principalOf(bob), tenantId: owner.tenant.id, role: 'OWNER' });
    expect(res.data!.me.role).toBe('VIEWER');
    expect(res.data!.me.tenant.id).toBe(owner.tenant.id);
    expect(res.data!.me.permissions).toContain('workflows:read');
    expect(res.data!.me.permissions.filter((p: string) => !p.endsWith(':read'))).toEqual([]);
  });

  it('answers UNAUTHENTICATED to an anonymous caller', async () => {
    const res = await auth.gql(ME);
    expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.data).toBeNull();
  });

  it('answers UNAUTHENTICATED once the membership is gone, even with a still-valid token', async () => {
    const ada = await auth.signUp();
    await auth.sql('delete from auth.memberships where user_id = ?', [ada.user.id]);
    expect(codesOf(await auth.gql(ME, {}, principalOf(ada)))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('entity references', () => {
  const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tenant { id name } ... on User { id email } } }`;

  it('resolve the caller\'s own tenant and fellow members', async () => {
    const ada = await auth.signUp();
    const res = await auth.gql(ENTITIES, { reps: [{ __typename: 'Tenant', id: ada.tenant.id }, { __typename: 'User', id: ada.user.id }] }, principalOf(ada));
    expect(res.data!._entities).toEqual([{ id: ada.tenant.id, name: ada.tenant.name }, { id: ada.user.id, email: ada.user.email }]);
  });

  it('resolve another tenant and its users to null, whatever id the caller passes', async () => {
    const ada = await auth.signUp();
    const other = await auth.signUp({ tenantName: 'Someone Else' });
    const res = await auth.gql(ENTITIES, { reps: [{ __typename: 'Tenant', id: other.tenant.id }, { __typename: 'User', id: other.user.id }] }, principalOf(ada));
    expect(res.data!._entities).toEqual([null, null]);
    expect(JSON.stringify(res)).not.toContain(other.user.email);
  });

  it('answer UNAUTHENTICATED to an anonymous caller', async () => {
    const ada = await auth.signUp();
    expect(codesOf(await auth.gql(ENTITIES, { reps: [{ __typename: 'Tenant', id: ada.tenant.id }] }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the JWKS', () => {
  it('publishes the Ed25519 public key and nothing private', async () => {
    await auth.signUp();
    const res = await fetch(auth.jwksUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('is served without an internal token, while the subgraph is not', async () => {
    expect((await fetch(auth.jwksUrl)).status).toBe(200);
    const direct = await fetch(`${auth.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ME }) });
    expect(direct.status).toBe(401);
  });
});
