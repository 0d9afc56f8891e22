import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN_HEADER, isWellFormedApiKey, type Principal } from '@rowline/kit';
import { API_KEY_USAGE_PATH, API_KEY_VERIFY_PATH } from '../src/index.js';
import { codesOf, principalOf, startAuth, type AuthHarness } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const KEY_FIELDS = 'id name prefix lastFour scopes createdAt lastUsedAt expiresAt revokedAt requestCount costPoints rotatedFromId';
const CREATE = `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { ${KEY_FIELDS} } } }`;
const LIST = `query($first: Int, $after: String) { apiKeys(first: $first, after: $after) { totalCount edges { node { ${KEY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
const ROTATE = `mutation($id: ID!, $o: Int) { rotateApiKey(id: $id, overlapSeconds: $o) { secret apiKey { ${KEY_FIELDS} } } }`;

async function owner() {
  const session = await auth.signUp();
  return { session, as: principalOf(session) };
}

async function createKey(as: Principal, input: object = {}) {
  const res = await auth.gql(CREATE, { i: { name: 'Bank feed', scopes: ['executions:read', 'files:read'], ...input } }, as);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.createApiKey as { secret: string; apiKey: Record<string, any> };
}

/** POST /internal/api-keys/verify answers the key's facts, or an error. */
type VerifyReply = { id?: string; tenantId?: string; scopes?: string[]; expiresAt?: string | null; error?: { code: string; message: string } };

async function verify(key: string, usage?: object, signed = true) {
  const res = await fetch(`${auth.base}${API_KEY_VERIFY_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signed ? { [INTERNAL_TOKEN_HEADER]: await auth.tokens.sign(null, 'auth') } : {}) },
    body: JSON.stringify({ key, usage }),
  });
  return { status: res.status, body: (await res.json()) as VerifyReply };
}

const auditOf = (tenantId: string) =>
  auth.sql<{ type: string; details: any }>('select type, details from auth.audit_events where tenant_id = ? and type like ? order by at', [tenantId, 'apiKey.%']);

describe('createApiKey', () => {
  it('returns a well-formed secret once and stores only its keyed hash', async () => {
    const { session, as } = await owner();
    const { secret, apiKey } = await createKey(as);
    expect(isWellFormedApiKey(secret)).toBe(true);
    expect(secret.startsWith('rwl_')).toBe(true);
    expect(apiKey).toMatchObject({ name: 'Bank feed', scopes: ['executions:read', 'files:read'], lastFour: secret.slice(-4), revokedAt: null, requestCount: 0 });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    const [row] = await auth.sql<{ key_hash: string }>('select key_hash from auth.api_keys where id = ?', [apiKey.id]);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.key_hash).not.toContain(secret.slice(4, 20));
    // Not a bare SHA-256 either: the hash is keyed with the server's secret.
    expect(row!.key_hash).not.toBe(createHmac('sha256', '').update(secret).digest('hex'));
    const listed = await auth.gql(LIST, {}, as);
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    expect((await auditOf(session.tenant.id)).map((e) => e.type)).toEqual(['apiKey.created']);
  });

  it('refuses write permissions and unknown scopes with BAD_USER_INPUT', async () => {
    const { as } = await owner();
    for (const scopes of [['executions:write'], ['*:*'], ['api-keys:read'], []]) {
      const res = await auth.gql(CREATE, { i: { name: 'k', scopes } }, as);
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions.field).toBe('scopes');
    }
  });

  it('refuses an expiry in the past and an empty name', async () => {
    const { as } = await owner();
    expect(codesOf(await auth.gql(CREATE, { i: { name: 'k', scopes: ['files:read'], expiresAt: new Date(Date.now() - 1000).toISOString() } }, as))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await auth.gql(CREATE, { i: { name: '  ', scopes: ['files:read'] } }, as))).toEqual(['BAD_USER_INPUT']);
  });

  it.each(['MEMBER', 'VIEWER'] as const)('answers FORBIDDEN to a %s for every key operation', async (role) => {
    const { as } = await owner();
    const { apiKey } = await createKey(as);
    const weaker = { ...as, role };
    expect(codesOf(await auth.gql(CREATE, { i: { name: 'k', scopes: ['files:read'] } }, weaker))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(LIST, {}, weaker))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(REVOKE, { id: apiKey.id }, weaker))).toEqual(['FORBIDDEN']);
    expect(codesOf(await auth.gql(ROTATE, { id: apiKey.id }, weaker))).toEqual(['FORBIDDEN']);
  });

  it('lets an ADMIN manage keys', async () => {
    const { as } = await owner();
    const { apiKey } = await createKey({ ...as, role: 'ADMIN' });
    expect((await auth.gql(REVOKE, { id: apiKey.id }, { ...as, role: 'ADMIN' })).data.revokeApiKey.revokedAt).not.toBeNull();
  });
});

describe('apiKeys', () => {
  it('lists only the caller\'s tenant\'s keys, newest first, a page at a time', async () => {
    const a = await owner();
    const b = await owner();
    const first = await createKey(a.as, { name: 'one' });
    const second = await createKey(a.as, { name: 'two' });
    await createKey(b.as, { name: 'other tenant' });
    const page1 = await auth.gql(LIST, { first: 1 }, a.as);
    expect(page1.data.apiKeys.edges.map((e: any) => e.node.id)).toEqual([second.apiKey.id]);
    const page2 = await auth.gql(LIST, { first: 1, after: page1.data.apiKeys.pageInfo.endCursor }, a.as);
    expect(page2.data.apiKeys.edges.map((e: any) => e.node.id)).toEqual([first.apiKey.id]);
    expect(page2.data.apiKeys.pageInfo.hasNextPage).toBe(false);
    expect([page1.data.apiKeys.totalCount, page2.data.apiKeys.totalCount]).toEqual([2, 2]);
  });

  it('counts the tenant\'s keys, revoked ones included, and none of another tenant\'s, with first: 0', async () => {
    const a = await owner();
    const b = await owner();
    const kept = await createKey(a.as);
    await auth.gql(REVOKE, { id: (await createKey(a.as)).apiKey.id }, a.as);
    for (let i = 0; i < 3; i++) await createKey(b.as);
    expect((await auth.gql(LIST, { first: 0 }, a.as)).data.apiKeys).toEqual({ totalCount: 2, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    const last = await auth.gql(LIST, { first: 1, after: (await auth.gql(LIST, { first: 1 }, a.as)).data.apiKeys.pageInfo.endCursor }, a.as);
    expect(last.data.apiKeys.edges.map((e: any) => e.node.id)).toEqual([kept.apiKey.id]);
    expect(last.data.apiKeys.totalCount).toBe(2);
    // first: 0 after a cursor answers that cursor, so a client looping on endCursor stays where it was.
    expect((await auth.gql(LIST, { first: 0, after: last.data.apiKeys.pageInfo.endCursor }, a.as)).data.apiKeys)
      .toEqual({ totalCount: 2, edges: [], pageInfo: { hasNextPage: false, endCursor: last.data.apiKeys.pageInfo.endCursor } });
    expect((await auth.gql(LIST, { first: 0 }, b.as)).data.apiKeys.totalCount).toBe(3);
  });
});

describe('revokeApiKey and rotateApiKey', () => {
  it('answer NOT_FOUND for another tenant\'s key and change nothing', async () => {
    const a = await owner();
    const b = await owner();
    const { secret, apiKey } = await createKey(a.as);
    expect(codesOf(await auth.gql(REVOKE, { id: apiKey.id }, b.as))).toEqual(['NOT_FOUND']);
    expect(codesOf(await auth.gql(ROTATE, { id: apiKey.id }, b.as))).toEqual(['NOT_FOUND']);
    expect(codesOf(await auth.gql(REVOKE, { id: 'not-a-uuid' }, b.as))).toEqual(['NOT_FOUND']);
    const [row] = await auth.sql<any>('select revoked_at, expires_at from auth.api_keys where id = ?', [apiKey.id]);
    expect(row).toEqual({ revoked_at: null, expires_at: null });
    expect((await verify(secret)).status).toBe(200);
    expect(await auditOf(b.session.tenant.id)).toEqual([]);
  });

  it('revoking stops the key at the verify route and is audited', async () => {
    const { session, as } = await owner();
    const { secret, apiKey } = await createKey(as);
    expect((await verify(secret)).body).toMatchObject({ id: apiKey.id, tenantId: session.tenant.id, scopes: ['executions:read', 'files:read'] });
    await auth.gql(REVOKE, { id: apiKey.id }, as);
    expect(await verify(secret)).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'Invalid API key' } } });
    expect((await auditOf(session.tenant.id)).map((e) => e.type)).toEqual(['apiKey.created', 'apiKey.revoked']);
  });

  it('rotation gives a new key with the same scopes; the old one lives until the overlap ends', async () => {
    const { session, as } = await owner();
    const old = await createKey(as);
    const rotated = (await auth.gql(ROTATE, { id: old.apiKey.id, o: 600 }, as)).data.rotateApiKey;
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.apiKey).toMatchObject({ scopes: old.apiKey.scopes, name: old.apiKey.name, rotatedFromId: old.apiKey.id });
    expect((await verify(rotated.secret)).status).toBe(200);
    expect((await verify(old.secret)).status).toBe(200);
    const [row] = await auth.sql<{ expires_at: Date }>('select expires_at from auth.api_keys where id = ?', [old.apiKey.id]);
    expect(new Date(row!.expires_at).getTime()).toBeGreaterThan(Date.now());
    // Past the overlap (moved forward in the table rather than waited for): the old key is refused.
    await auth.sql(`update auth.api_keys set expires_at = now() - interval '1 second' where id = ?`, [old.apiKey.id]);
    expect((await verify(old.secret)).status).toBe(401);
    expect((await verify(rotated.secret)).status).toBe(200);
    const events = await auditOf(session.tenant.id);
    expect(events.map((e) => e.type)).toEqual(['apiKey.created', 'apiKey.rotated']);
    expect(events[1]!.details).toMatchObject({ apiKeyId: old.apiKey.id, newApiKeyId: rotated.apiKey.id });
  });

  it('rotation refuses an overlap out of range and a revoked key', async () => {
    const { as } = await owner();
    const { apiKey } = await createKey(as);
    expect(codesOf(await auth.gql(ROTATE, { id: apiKey.id, o: -1 }, as))).toEqual(['BAD_USER_INPUT']);
    await auth.gql(REVOKE, { id: apiKey.id }, as);
    expect(codesOf(await auth.gql(ROTATE, { id: apiKey.id, o: 0 }, as))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the internal verify route', () => {
  it('records the last use and the usage the gateway reports', async () => {
    const { as } = await owner();
    const { secret, apiKey } = await createKey(as);
    await verify(secret, { requests: 5, points: 42 });
    await verify(secret, { requests: 2, points: 3 });
    const node = (await auth.gql(LIST, {}, as)).data.apiKeys.edges[0].node;
    expect(node).toMatchObject({ id: apiKey.id, requestCount: 7, costPoints: 45 });
    expect(node.lastUsedAt).not.toBeNull();
  });

  it('refuses an expired key', async () => {
    const { as } = await owner();
    const { secret } = await createKey(as, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await verify(secret)).status).toBe(200);
    await auth.sql(`update auth.api_keys set expires_at = now() - interval '1 second' where last_four = ?`, [secret.slice(-4)]);
    expect((await verify(secret)).status).toBe(401);
  });

  it('refuses a key with a bad checksum without touching the table', async () => {
    const { as } = await owner();
    const { secret } = await createKey(as);
    const last = secret.at(-1) === 'a' ? 'b' : 'a';
    const forged = secret.slice(0, -1) + last;
    expect(isWellFormedApiKey(forged)).toBe(false);
    const before = await auth.sql<{ n: string }>('select sum(verify_count) as n from auth.api_keys');
    expect((await verify(forged)).status).toBe(401);
    expect((await verify('rwl_short')).status).toBe(401);
    expect(await auth.sql('select sum(verify_count) as n from auth.api_keys')).toEqual(before);
  });

  it('answers only calls signed with the internal token', async () => {
    const { as } = await owner();
    const { secret } = await createKey(as);
    expect((await verify(secret, undefined, false)).status).toBe(401);
  });
});

describe('the internal usage route', () => {
  type Entry = { id: string; tenantId: string; requests: number; points: number };
  async function report(usage: Entry[] | object, signed = true) {
    const res = await fetch(`${auth.base}${API_KEY_USAGE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signed ? { [INTERNAL_TOKEN_HEADER]: await auth.tokens.sign(null, 'auth') } : {}) },
      body: JSON.stringify({ usage }),
    });
    return { status: res.status, body: await res.json() as { counted?: number; error?: { code: string } } };
  }
  const rowOf = async (as: Principal, id: string) =>
    (await auth.gql(LIST, {}, as)).data.apiKeys.edges.map((e: any) => e.node).find((n: any) => n.id === id);

  it('adds a report to the key\'s row, a revoked key included', async () => {
    const { session, as } = await owner();
    const { apiKey } = await createKey(as);
    await auth.gql(REVOKE, { id: apiKey.id }, as);
    expect((await report([{ id: apiKey.id, tenantId: session.tenant.id, requests: 3, points: 30 }])).body).toEqual({ counted: 1 });
    expect(await rowOf(as, apiKey.id)).toMatchObject({ requestCount: 3, costPoints: 30 });
  });

  it('counts nothing on a key of another tenant than the report names', async () => {
    const acme = await owner();
    const globex = await owner();
    const { apiKey } = await createKey(acme.as);
    expect((await report([{ id: apiKey.id, tenantId: globex.session.tenant.id, requests: 9, points: 90 }])).body).toEqual({ counted: 0 });
    expect(await rowOf(acme.as, apiKey.id)).toMatchObject({ requestCount: 0, costPoints: 0 });
  });

  it('adds every entry of one report, several for the same key included', async () => {
    const { session, as } = await owner();
    const { apiKey } = await createKey(as);
    const entry = { id: apiKey.id, tenantId: session.tenant.id };
    await report([{ ...entry, requests: 2, points: 5 }, { ...entry, requests: 3, points: 7 }]);
    expect(await rowOf(as, apiKey.id)).toMatchObject({ requestCount: 5, costPoints: 12 });
  });

  it('refuses negative numbers, fractions, more than 500 entries and unsigned calls', async () => {
    const { session, as } = await owner();
    const { apiKey } = await createKey(as);
    const entry = { id: apiKey.id, tenantId: session.tenant.id, requests: 1, points: 1 };
    expect((await report([{ ...entry, requests: -5 }])).status).toBe(400);
    expect((await report([{ ...entry, points: 1.5 }])).status).toBe(400);
    expect((await report(Array.from({ length: 501 }, () => entry))).status).toBe(400);
    expect((await report([entry], false)).status).toBe(401);
    expect(await rowOf(as, apiKey.id)).toMatchObject({ requestCount: 0, costPoints: 0 });
  });
});
