import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokens, INTERNAL_TOKEN_HEADER, type Principal } from '@rowline/kit';
import { SUBGRAPHS } from '@rowline/gateway';
import { codesOf, startTestPlatform, type Reply, type TestPlatform } from './support/platform.js';

let t: TestPlatform;
let owner: Principal;
let accessToken: string;
beforeAll(async () => {
  t = await startTestPlatform();
  const signedUp = await t.signUp();
  accessToken = signedUp.accessToken;
  owner = { kind: 'user', tenantId: signedUp.tenantId, subject: signedUp.userId, role: 'OWNER', scopes: [] };
});
afterAll(async () => { await t?.stop(); });

/** Calls a subgraph directly, past the gateway, as something inside the network could. */
async function direct(subgraph: (typeof SUBGRAPHS)[number], headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(new URL('/graphql', t.platform.urls[subgraph]), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

const refused = (reply: Reply) => {
  expect(reply.status).toBe(401);
  expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
  expect(reply.data ?? null).toBeNull();
};

describe.each(SUBGRAPHS)('the %s subgraph, called directly', (subgraph) => {
  it('answers 401 UNAUTHENTICATED without an internal token', async () => {
    refused(await direct(subgraph, {}));
  });

  it('answers 401 UNAUTHENTICATED to an internal token signed with another secret', async () => {
    const other = createInternalTokens(randomBytes(32).toString('hex'));
    refused(await direct(subgraph, { [INTERNAL_TOKEN_HEADER]: await other.sign(owner, subgraph) }));
    refused(await direct(subgraph, { [INTERNAL_TOKEN_HEADER]: await other.sign(null, subgraph) }));
  });

  it('answers 401 UNAUTHENTICATED to a genuine internal token meant for another subgraph', async () => {
    const tokens = createInternalTokens(t.internalTokenSecret);
    const elsewhere = SUBGRAPHS.find((s) => s !== subgraph)!;
    refused(await direct(subgraph, { [INTERNAL_TOKEN_HEADER]: await tokens.sign(owner, elsewhere) }));
  });

  it('answers 401 UNAUTHENTICATED to a user\'s access token, as a bearer or in the internal header', async () => {
    refused(await direct(subgraph, { authorization: `Bearer ${accessToken}` }));
    refused(await direct(subgraph, { [INTERNAL_TOKEN_HEADER]: accessToken }));
  });

  it('answers 401 UNAUTHENTICATED to tenant headers alone', async () => {
    refused(await direct(subgraph, { 'x-tenant-id': owner.tenantId, 'x-user-id': owner.subject, 'x-role': 'OWNER' }));
  });

  it('answers a genuine internal token for its own audience, the control for the refusals above', async () => {
    const tokens = createInternalTokens(t.internalTokenSecret);
    const reply = await direct(subgraph, { [INTERNAL_TOKEN_HEADER]: await tokens.sign(owner, subgraph) });
    expect(reply.status).toBe(200);
    expect(reply.data).toEqual({ __typename: 'Query' });
  });
});
