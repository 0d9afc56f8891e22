import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_HINT, EXPIRED_TOKEN_HINT } from '../src/access-tokens.js';
import { USER_TOKEN_HINT } from '../src/partner/key-verifier.js';
import { startTestPlatform, type Reply, type TestPlatform } from './support/platform.js';
import { ed25519, genuine, jws } from './support/tokens.js';

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(); });
afterAll(async () => { await t?.stop(); });

const ME = '{ me { user { id } } }';

async function partner(authorization: string): Promise<Reply> {
  const res = await fetch(new URL('/partner/graphql', t.platform.url), {
    method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: '{ executions { edges { node { id } } } }' }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

describe('an error whose cure is another call says which, and keeps its code and message', () => {
  it('answers an expired access token with a hint to refresh it with refreshSession, which then works as the hint says', async () => {
    const ada = await t.signUp('Hint Expired');
    const { kid, key } = await t.signingKey();
    const { header, claims } = genuine(ada, kid);
    const expired = jws(header, { ...claims, iat: claims.iat - 600, exp: claims.iat - 60 }, ed25519(key));

    const reply = await t.post(ME, { token: expired });
    expect(reply.status).toBe(401);
    expect(reply.errors).toEqual([{ message: 'Access token expired', extensions: { code: 'UNAUTHENTICATED', hint: EXPIRED_TOKEN_HINT, requestId: expect.any(String) } }]);
    expect(EXPIRED_TOKEN_HINT).toContain('refreshSession(refreshToken)');

    // As the hint says: the mutation, without the expired token, then the new token.
    const refreshed = await t.post('mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }', { variables: { r: ada.refreshToken } });
    expect(refreshed.errors).toBeUndefined();
    expect((await t.post(ME, { token: refreshed.data.refreshSession.accessToken })).data).toEqual({ me: { user: { id: ada.userId } } });
  });

  it('answers a user\'s access token sent to /partner/graphql with a hint that it takes API keys, and user tokens go to /graphql', async () => {
    const ada = await t.signUp('Hint Partner');
    const reply = await partner(`Bearer ${ada.accessToken}`);
    expect(reply.status).toBe(401);
    expect(reply.errors).toEqual([{ message: 'Invalid API key', extensions: { code: 'UNAUTHENTICATED', hint: USER_TOKEN_HINT, requestId: expect.any(String) } }]);
    expect(USER_TOKEN_HINT).toMatch(/takes API keys.*user access tokens to \/graphql/);
    // Anything else that is not a key gets no hint: it would be a guess.
    expect((await partner('Bearer not-a-key')).errors).toEqual([{ message: 'Invalid API key', extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } }]);
  });

  it('answers an API key sent to /graphql with a hint that it goes to /partner/graphql', async () => {
    const ada = await t.signUp('Hint Key');
    const created = await t.post('mutation { createApiKey(input: { name: "x", scopes: ["executions:read"] }) { secret } }', { token: ada.accessToken });
    const reply = await t.post(ME, { token: created.data.createApiKey.secret });
    expect(reply.status).toBe(401);
    expect(reply.errors).toEqual([{ message: 'Invalid access token', extensions: { code: 'UNAUTHENTICATED', hint: API_KEY_HINT, requestId: expect.any(String) } }]);
    expect((await t.post(ME, { token: 'not-a-token' })).errors).toEqual([{ message: 'Invalid access token', extensions: { code: 'UNAUTHENTICATED', requestId: expect.any(String) } }]);
  });
});
