import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInternalTokens, type Principal } from '@rowline/kit';

const SECRET = 'internal-secret-for-kit-tests-0123456789';
const tokens = createInternalTokens(SECRET);
const ALICE: Principal = { kind: 'user', tenantId: '0193a000-0000-7000-8000-00000000000a', subject: 'alice', role: 'VIEWER', scopes: [] };

const refused = expect.objectContaining({ name: 'AppError', code: 'UNAUTHENTICATED' });

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const partsOf = (token: string) => token.split('.') as [string, string, string];
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** A token signed with the right secret but claims of the test's choosing: as if the signer had a bug. */
const signedWith = (claims: Record<string, unknown>, audience = 'files') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('rowline-internal').setAudience(audience)
    .setSubject('alice').setIssuedAt().setExpirationTime('60s').sign(new TextEncoder().encode(SECRET));

afterEach(() => { vi.useRealTimers(); });

describe('internal tokens', () => {
  it('carry the principal to the subgraph they were signed for', async () => {
    const principal: Principal = { ...ALICE, kind: 'api_key', role: 'MEMBER', scopes: ['files:read'] };
    expect(await tokens.verify(await tokens.sign(principal, 'files'), 'files')).toEqual(principal);
  });

  it('verify to null when anonymous, so sign-up can pass but no tenant is granted', async () => {
    expect(await tokens.verify(await tokens.sign(null, 'auth'), 'auth')).toBeNull();
  });

  it('are refused by any other subgraph than the audience they were signed for', async () => {
    const forFiles = await tokens.sign(ALICE, 'files');
    await expect(tokens.verify(forFiles, 'workflows')).rejects.toThrow(refused);
    await expect(tokens.verify(await tokens.sign(null, 'files'), 'workflows')).rejects.toThrow(refused);
  });

  it('are refused once their sixty seconds have passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await tokens.sign(ALICE, 'files');
    vi.setSystemTime(Date.now() + 61_000);
    await expect(tokens.verify(token, 'files')).rejects.toThrow(refused);
  });

  it('are refused when signed with another secret', async () => {
    const other = createInternalTokens(randomBytes(32).toString('hex'));
    await expect(tokens.verify(await other.sign(ALICE, 'files'), 'files')).rejects.toThrow(refused);
    await expect(tokens.verify(await other.sign(null, 'files'), 'files')).rejects.toThrow(refused);
  });

  it('are refused when their claims were changed after signing', async () => {
    const [header, payload, signature] = partsOf(await tokens.sign(ALICE, 'files'));
    const promoted = b64({ ...decode(payload), role: 'OWNER', tid: '0193a000-0000-7000-8000-00000000000b' });
    await expect(tokens.verify(`${header}.${promoted}.${signature}`, 'files')).rejects.toThrow(refused);
  });

  it('are refused when the signature is stripped or the algorithm is swapped for none', async () => {
    const [, payload, signature] = partsOf(await tokens.sign(ALICE, 'files'));
    await expect(tokens.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'files')).rejects.toThrow(refused);
    await expect(tokens.verify(`${b64({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}`, 'files')).rejects.toThrow(refused);
  });

  it('are refused when signed with the right secret under another algorithm', async () => {
    const header = b64({ alg: 'HS512', typ: 'JWT' });
    const [, payload] = partsOf(await tokens.sign(ALICE, 'files'));
    const signature = createHmac('sha512', SECRET).update(`${header}.${payload}`).digest('base64url');
    await expect(tokens.verify(`${header}.${payload}.${signature}`, 'files')).rejects.toThrow(refused);
  });

  it('are refused when they come from another issuer', async () => {
    const token = await new SignJWT({ tid: ALICE.tenantId, role: 'OWNER', knd: 'user' }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer('rowline-auth').setAudience('files').setSubject('alice').setExpirationTime('60s').sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(token, 'files')).rejects.toThrow(refused);
  });

  it('are refused when a signed token lacks a tenant or names an unknown role', async () => {
    await expect(tokens.verify(await signedWith({ role: 'OWNER', knd: 'user' }), 'files')).rejects.toThrow(/Malformed internal token/);
    await expect(tokens.verify(await signedWith({ tid: ALICE.tenantId, role: 'ROOT', knd: 'user' }), 'files')).rejects.toThrow(refused);
  });

  it('are refused when they are not tokens at all', async () => {
    for (const garbage of ['', 'not-a-token', 'a.b.c', 'rl_rt_abc']) {
      await expect(tokens.verify(garbage, 'files'), garbage).rejects.toThrow(refused);
    }
  });

  it('that verified once are still refused once their sixty seconds have passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const token = await tokens.sign({ ...ALICE, subject: 'remembered' }, 'files');
    expect(await tokens.verify(token, 'files')).toMatchObject({ subject: 'remembered' });
    vi.setSystemTime(Date.now() + 61_000);
    await expect(tokens.verify(token, 'files')).rejects.toThrow(refused);
  });

  it('that verified once for their audience are still refused by another subgraph', async () => {
    const token = await tokens.sign(ALICE, 'files');
    await tokens.verify(token, 'files');
    await expect(tokens.verify(token, 'workflows')).rejects.toThrow(refused);
  });

  it('give every verification its own principal, so a caller that changes one changes no other request', async () => {
    const token = await tokens.sign({ ...ALICE, scopes: ['files:read'] }, 'files');
    const first = (await tokens.verify(token, 'files'))!;
    first.role = 'OWNER';
    first.scopes.push('files:write');
    expect(await tokens.verify(token, 'files')).toEqual({ ...ALICE, scopes: ['files:read'] });
  });
});
