import { createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';
import { attackerKey, ed25519, genuine, hs256, jws, unsigned } from './support/tokens.js';

const ME = '{ me { user { id } tenant { id } role } }';

let t: TestPlatform;
let owner: Awaited<ReturnType<TestPlatform['signUp']>>;
let real: { kid: string; key: KeyObject };
let publicJwk: { kid: string; x: string } & Record<string, unknown>;
const attacker = attackerKey();

/** A server the attacker controls, offering the attacker's key: the gateway must never ask it. */
let keyServer: Server;
let keyServerUrl: string;
const keyServerRequests: string[] = [];

beforeAll(async () => {
  t = await startTestPlatform();
  owner = await t.signUp();
  real = await t.signingKey();
  const jwks = (await (await fetch(new URL('/.well-known/jwks.json', t.platform.urls.auth))).json()) as { keys: Array<typeof publicJwk> };
  publicJwk = jwks.keys.find((k) => k.kid === real.kid)!;
  keyServer = createServer((req, res) => {
    keyServerRequests.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [attacker.jwk] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => keyServer?.close(resolve));
  await t?.stop();
});

/** Everything a forgery is built from: the genuine header and claims, the real key, the attacker's key. */
const forge = () => ({ ...genuine(owner, real.kid), real, attacker, publicJwk, keyServerUrl });
type Forge = ReturnType<typeof forge>;

describe('the gateway', () => {
  it('accepts a token minted with the real key and the right claims, the control for every forgery below', async () => {
    const { header, claims } = forge();
    const reply = await t.post(ME, { token: jws(header, claims, ed25519(real.key)) });
    expect(reply.status).toBe(200);
    expect(reply.data?.me).toEqual({ user: { id: owner.userId }, tenant: { id: owner.tenantId }, role: 'OWNER' });
  });

  it('lets a caller without a token sign up and log in', async () => {
    const signedUp = await t.signUp('Anonymous Start');
    const reply = await t.post(`mutation($i: LogInInput!) { logIn(input: $i) { tenant { id } } }`,
      { variables: { i: { email: signedUp.email, password: signedUp.password } } });
    expect(reply.status).toBe(200);
    expect(reply.data?.logIn.tenant.id).toBe(signedUp.tenantId);
  });

  it.each([
    ['me', ME],
    ['workflows', '{ workflows { edges { node { id } } } }'],
    ['files', '{ files { edges { node { id } } } }'],
    ['executions', '{ executions { edges { node { id } } } }'],
    ['destinations', '{ destinations { edges { node { id } } } }'],
  ])('answers %s without a token with UNAUTHENTICATED and no data', async (_field, query) => {
    const reply = await t.post(query);
    expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
    expect(reply.data ?? null).toBeNull();
  });

  it('refuses an Authorization header that is not a bearer token with 401', async () => {
    for (const authorization of ['Basic YWRhOmxvdmVsYWNl', 'Bearer', `Token ${owner.accessToken}`, `Bearer  ${owner.accessToken}`]) {
      const reply = await t.post(ME, { headers: { authorization } });
      expect(reply.status, authorization).toBe(401);
      expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

const forgeries: Array<[string, (f: Forge) => string]> = [
  ['alg "none" with no signature', (f) => jws({ ...f.header, alg: 'none' }, f.claims, unsigned)],
  ['alg "None"', (f) => jws({ ...f.header, alg: 'None' }, f.claims, unsigned)],
  ['alg "nOnE"', (f) => jws({ ...f.header, alg: 'nOnE' }, f.claims, unsigned)],
  ['alg "noNE"', (f) => jws({ ...f.header, alg: 'noNE' }, f.claims, unsigned)],
  ['alg "none" and no kid', (f) => jws({ alg: 'none', typ: 'at+jwt' }, f.claims, unsigned)],
  ['alg "none" keeping the real signature', (f) => {
    const [, , signature] = jws(f.header, f.claims, ed25519(f.real.key)).split('.');
    return `${jws({ ...f.header, alg: 'none' }, f.claims, unsigned)}${signature}`;
  }],
  ['HS256 keyed with the public key\'s raw bytes', (f) => jws({ ...f.header, alg: 'HS256' }, f.claims, hs256(Buffer.from(f.publicJwk.x, 'base64url')))],
  ['HS256 keyed with the public key\'s x as text', (f) => jws({ ...f.header, alg: 'HS256' }, f.claims, hs256(f.publicJwk.x))],
  ['HS256 keyed with the JWKS entry as JSON', (f) => jws({ ...f.header, alg: 'HS256' }, f.claims, hs256(JSON.stringify(f.publicJwk)))],
  ['HS256 keyed with the public key as PEM', (f) => {
    const pem = createPublicKey({ key: f.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    return jws({ ...f.header, alg: 'HS256' }, f.claims, hs256(pem));
  }],
  ['the fully-specified alg "Ed25519" outside the allow-list', (f) => jws({ ...f.header, alg: 'Ed25519' }, f.claims, ed25519(f.real.key))],
  ['an unknown kid', (f) => jws({ ...f.header, kid: f.attacker.kid }, f.claims, ed25519(f.attacker.privateKey))],
  ['an injected kid "../../x"', (f) => jws({ ...f.header, kid: '../../x' }, f.claims, ed25519(f.attacker.privateKey))],
  ['an injected kid "\' OR 1=1 --"', (f) => jws({ ...f.header, kid: "' OR 1=1 --" }, f.claims, ed25519(f.attacker.privateKey))],
  ['no kid at all', (f) => jws({ alg: 'EdDSA', typ: 'at+jwt' }, f.claims, ed25519(f.attacker.privateKey))],
  ['a jku header pointing at the attacker\'s key server', (f) =>
    jws({ ...f.header, kid: f.attacker.kid, jku: `${f.keyServerUrl}/jwks.json` }, f.claims, ed25519(f.attacker.privateKey))],
  ['a jku header and the real kid', (f) => jws({ ...f.header, jku: `${f.keyServerUrl}/jwks.json` }, f.claims, ed25519(f.attacker.privateKey))],
  ['an x5u header pointing at the attacker\'s key server', (f) =>
    jws({ ...f.header, kid: f.attacker.kid, x5u: `${f.keyServerUrl}/cert.pem` }, f.claims, ed25519(f.attacker.privateKey))],
  ['the attacker\'s key embedded as a jwk header', (f) => jws({ ...f.header, jwk: f.attacker.jwk }, f.claims, ed25519(f.attacker.privateKey))],
  ['another Ed25519 key under the real kid', (f) => jws(f.header, f.claims, ed25519(f.attacker.privateKey))],
  ['a wrong issuer', (f) => jws(f.header, { ...f.claims, iss: 'https://evil.example' }, ed25519(f.real.key))],
  ['no issuer', (f) => { const { iss: _iss, ...claims } = f.claims; return jws(f.header, claims, ed25519(f.real.key)); }],
  ['a wrong audience', (f) => jws(f.header, { ...f.claims, aud: 'rowline-partner' }, ed25519(f.real.key))],
  ['an expiry a minute ago', (f) => jws(f.header, { ...f.claims, iat: f.claims.iat - 960, exp: f.claims.iat - 60 }, ed25519(f.real.key))],
  ['no expiry', (f) => { const { exp: _exp, ...claims } = f.claims; return jws(f.header, claims, ed25519(f.real.key)); }],
  ['not valid before next hour', (f) => jws(f.header, { ...f.claims, nbf: f.claims.iat + 3600 }, ed25519(f.real.key))],
  ['a header typ other than at+jwt', (f) => jws({ ...f.header, typ: 'JWT' }, f.claims, ed25519(f.real.key))],
  ['a claims typ other than access', (f) => jws(f.header, { ...f.claims, typ: 'refresh' }, ed25519(f.real.key))],
  ['a role that does not exist', (f) => jws(f.header, { ...f.claims, role: 'SUPERADMIN' }, ed25519(f.real.key))],
  ['no tenant claim', (f) => { const { tid: _tid, ...claims } = f.claims; return jws(f.header, claims, ed25519(f.real.key)); }],
  ['no jti', (f) => { const { jti: _jti, ...claims } = f.claims; return jws(f.header, claims, ed25519(f.real.key)); }],
  ['an unknown critical header', (f) => jws({ ...f.header, crit: ['x-rowline'], 'x-rowline': true }, f.claims, ed25519(f.real.key))],
  ['claims changed after signing', (f) => {
    const [header, , signature] = jws(f.header, f.claims, ed25519(f.real.key)).split('.');
    const promoted = Buffer.from(JSON.stringify({ ...f.claims, tid: '0193a000-0000-7000-8000-00000000000b' })).toString('base64url');
    return `${header}.${promoted}.${signature}`;
  }],
  ['its signature stripped', (f) => jws(f.header, f.claims, ed25519(f.real.key)).split('.').slice(0, 2).join('.') + '.'],
  ['a refresh token sent as the bearer token', () => owner.refreshToken],
  ['garbage', () => 'not.a.token'],
];

describe('a forged access token', () => {
  it.each(forgeries)('with %s is refused with 401 UNAUTHENTICATED before any subgraph runs', async (_what, build) => {
    const reply = await t.post(ME, { token: build(forge()) });
    expect(reply.status).toBe(401);
    expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
    expect(reply.data ?? null).toBeNull();
  });

  it('is refused even for a mutation anyone may call, so a bad token is never ignored', async () => {
    const reply = await t.post(`mutation { logOut(refreshToken: "rl_rt_x") }`, { token: jws({ ...forge().header, alg: 'none' }, forge().claims, unsigned) });
    expect(reply.status).toBe(401);
  });

  it('never makes the gateway fetch keys from an address the token names', () => {
    expect(keyServerRequests).toEqual([]);
  });

  it('leaves the gateway answering genuine tokens afterwards', async () => {
    const reply = await t.post(ME, { token: owner.accessToken });
    expect(reply.status).toBe(200);
    expect(reply.data?.me.user.id).toBe(owner.userId);
  });
});
