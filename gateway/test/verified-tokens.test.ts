import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

// Counts the full verifications (signature and claims) the verifier makes: what remembering a token saves.
const verifications = vi.hoisted(() => ({ n: 0 }));
vi.mock('jose', async (importOriginal) => {
  const jose = await importOriginal<typeof import('jose')>();
  return { ...jose, jwtVerify: (...args: Parameters<typeof jose.jwtVerify>) => { verifications.n++; return jose.jwtVerify(...args); } };
});

const { createAccessTokenVerifier } = await import('../src/access-tokens.js');
const { AUDIENCE, ISSUER } = await import('./support/platform.js');
const { ed25519, genuine, jws } = await import('./support/tokens.js');

/** A real HTTP server standing in for auth's JWKS endpoint; `down` answers 503. */
let server: Server;
let url: string;
let down = false;
const newKey = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
};
let published = [newKey()];
beforeAll(async () => {
  server = createServer((_req, res) => {
    if (down) { res.statusCode = 503; res.end(); return; }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });
beforeEach(() => { down = false; published = [newKey()]; });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const who = { userId: randomUUID(), tenantId: randomUUID() };
const tokenOf = (key: ReturnType<typeof newKey>) => { const { header, claims } = genuine(who, key.kid); return jws(header, claims, ed25519(key.privateKey)); };

describe('tokens remembered by the access-token verifier', () => {
  it('stay remembered while auth is down and the key set in hand stays, past its age', async () => {
    const verify = createAccessTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, jwksRefetchIntervalMs: 10, jwksMaxAgeMs: 100 });
    const token = tokenOf(published[0]!);
    await verify(token);
    await verify(token);
    down = true;
    await sleep(150);
    await verify(token);
    await sleep(30);
    const before = verifications.n;
    for (let i = 0; i < 100; i++) await verify(token);
    expect(verifications.n - before).toBe(0);
  });

  it('are checked again once a new key set is in hand, so a withdrawn key\'s token is refused', async () => {
    const verify = createAccessTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, jwksRefetchIntervalMs: 10, jwksMaxAgeMs: 100 });
    const leaked = published[0]!;
    const forged = tokenOf(leaked);
    await verify(forged);
    await verify(forged);
    published = [newKey()];
    await sleep(150);
    // The hit past the age starts the refetch; once the new set is in hand, the remembered token is checked again.
    await verify(forged).catch(() => undefined);
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      await sleep(10);
      refused = await verify(forged).then(() => false, () => true);
    }
    expect(refused).toBe(true);
  });
});
