import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from '../src/access-tokens.js';
import { createJwksCache } from '../src/jwks-cache.js';
import { AUDIENCE, ISSUER } from './support/platform.js';
import { ed25519, genuine, jws } from './support/tokens.js';

/** A real HTTP server standing in for auth's JWKS endpoint, counting every fetch. */
let server: Server;
let url: string;
let published: Array<{ kid: string; privateKey: KeyObject; jwk: object }> = [];
let hits = 0;
/** While set, the stand-in answers 503, as an unavailable auth would. */
let down = false;
/** While set, the stand-in takes requests and never answers, as a hung auth would. */
let hung = false;

const newKey = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
};
const tokenFor = (key: { kid: string; privateKey: KeyObject }) => jws({ alg: 'EdDSA', kid: key.kid }, { sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 }, ed25519(key.privateKey));

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    if (hung) return;
    if (down) { res.statusCode = 503; res.end(); return; }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => { server?.closeAllConnections(); await new Promise((resolve) => server?.close(resolve)); });
beforeEach(() => { hits = 0; down = false; hung = false; published = [newKey()]; });

const verifies = async (cache: ReturnType<typeof createJwksCache>, token: string) =>
  jwtVerify(token, cache.getKey, { algorithms: ['EdDSA'] }).then(() => true, () => false);

describe('the JWKS cache', () => {
  it('fetches once, then verifies any number of tokens with a known kid without fetching again', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 50 });
    const token = tokenFor(published[0]!);
    for (let i = 0; i < 50; i++) expect(await verifies(cache, token)).toBe(true);
    expect(hits).toBe(1);
  });

  it('shares one refetch among many concurrent tokens with unknown kids', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 50 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    const forged = Array.from({ length: 25 }, () => tokenFor(newKey()));
    expect(await Promise.all(forged.map((t) => verifies(cache, t)))).toEqual(forged.map(() => false));
    expect(hits).toBe(2);
  });

  it('accepts a newly rotated kid right after forged kids spent a refetch, by waiting for the next one', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 200 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    expect(await verifies(cache, tokenFor(newKey()))).toBe(false);
    const rotated = newKey();
    published.push(rotated);
    expect(await verifies(cache, tokenFor(rotated))).toBe(true);
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    expect(hits).toBe(3);
  });

  it('refuses tokens when the key set cannot be fetched', async () => {
    const cache = createJwksCache({ url: url.replace(/:\d+\//, ':1/'), minRefetchIntervalMs: 10 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(false);
  });

  it('fetches again once its copy is older than maxAgeMs, so a key auth withdrew stops verifying', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 10, maxAgeMs: 100 });
    const withdrawn = published[0]!;
    expect(await verifies(cache, tokenFor(withdrawn))).toBe(true);
    published = [newKey()];
    expect(await verifies(cache, tokenFor(withdrawn))).toBe(true);
    await sleep(150);
    // The first token past the age starts the refetch in the background and is checked with the copy in hand.
    await verifies(cache, tokenFor(withdrawn));
    await until(() => cache.generation === 2);
    expect(await verifies(cache, tokenFor(withdrawn))).toBe(false);
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
  });

  it('keeps verifying with its copy while auth cannot answer a refetch for age, and tries again only seconds later', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 10, maxAgeMs: 50 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    down = true;
    await sleep(80);
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    await until(() => hits === 2);
    await sleep(50);
    for (let i = 0; i < 5; i++) expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    expect(hits).toBe(2);
  });

  it('does not make a token wait for a refetch for age while auth hangs', async () => {
    // The hung fetch outlives the test: a token that waited for it would time the test out.
    const cache = createJwksCache({ url, minRefetchIntervalMs: 10, maxAgeMs: 50, timeoutMs: 60_000 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    const generation = cache.generation;
    hung = true;
    await sleep(80);
    for (let i = 0; i < 3; i++) expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    expect([hits, cache.generation]).toEqual([2, generation]);
  });
});

describe('access tokens remembered by the verifier', () => {
  const who = { userId: randomUUID(), tenantId: randomUUID() };
  const accessToken = (key: { kid: string; privateKey: KeyObject }) => {
    const { header, claims } = genuine(who, key.kid);
    return jws(header, claims, ed25519(key.privateKey));
  };
  const accepts = (verify: ReturnType<typeof createAccessTokenVerifier>, token: string) => verify(token).then(() => true, () => false);

  it('stop verifying a token of a withdrawn key within maxAge of the withdrawal (and the refetch), though remembered', async () => {
    const maxAge = 400;
    const verify = createAccessTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE, jwksRefetchIntervalMs: 10, jwksMaxAgeMs: maxAge });
    const leaked = published[0]!;
    expect(await accepts(verify, accessToken(leaked))).toBe(true);
    published = [newKey()];
    const withdrawnAt = Date.now();
    // A token of the withdrawn key checked just before the copy's age runs out is remembered, but only until then.
    await sleep(maxAge - 80);
    const forged = accessToken(leaked);
    expect(await accepts(verify, forged)).toBe(true);
    await sleep(withdrawnAt + maxAge + 30 - Date.now());
    await accepts(verify, forged); // starts the refetch, checked against the copy in hand or refused
    await until(() => hits === 2);
    await sleep(50);
    expect(await accepts(verify, forged)).toBe(false);
    expect(await accepts(verify, accessToken(published[0]!))).toBe(true);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !condition(); await sleep(5)) if (Date.now() > end) throw new Error('condition not met in time');
}
