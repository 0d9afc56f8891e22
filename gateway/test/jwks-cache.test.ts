import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwksCache } from '../src/jwks-cache.js';
import { ed25519, jws } from './support/tokens.js';

/** A real HTTP server standing in for auth's JWKS endpoint, counting every fetch. */
let server: Server;
let url: string;
let published: Array<{ kid: string; privateKey: KeyObject; jwk: object }> = [];
let hits = 0;
/** While set, the stand-in answers 503, as an unavailable auth would. */
let down = false;

const newKey = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
};
const tokenFor = (key: { kid: string; privateKey: KeyObject }) => jws({ alg: 'EdDSA', kid: key.kid }, { sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 }, ed25519(key.privateKey));

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    if (down) { res.statusCode = 503; res.end(); return; }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => { await new Promise((resolve) => server?.close(resolve)); });
beforeEach(() => { hits = 0; down = false; published = [newKey()]; });

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
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await verifies(cache, tokenFor(withdrawn))).toBe(false);
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
  });

  it('keeps verifying with its copy while auth cannot answer a refetch for age', async () => {
    const cache = createJwksCache({ url, minRefetchIntervalMs: 10, maxAgeMs: 50 });
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    down = true;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await verifies(cache, tokenFor(published[0]!))).toBe(true);
    expect(hits).toBe(2);
  });
});
