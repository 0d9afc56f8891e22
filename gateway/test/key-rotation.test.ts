import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';
import { attackerKey, ed25519, genuine, jws } from './support/tokens.js';

const ME = '{ me { user { id } } }';
const ROTATE = fileURLToPath(new URL('../../services/auth/dist/rotate-signing-key.js', import.meta.url));

let t: TestPlatform;
beforeAll(async () => { t = await startTestPlatform(); });
afterAll(async () => { await t?.stop(); });

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
const jwksKids = async () => ((await (await fetch(new URL('/.well-known/jwks.json', t.platform.urls.auth))).json()) as { keys: Array<{ kid: string }> })
  .keys.map((k) => k.kid).sort();

/** How often the gateway fetched auth's JWKS, read from auth's own request counter. */
async function jwksFetches(): Promise<number> {
  const text = await (await fetch(new URL('/metrics', t.platform.urls.auth))).text();
  const line = text.split('\n').find((l) => l.startsWith('rowline_http_requests_total') && l.includes('route="/.well-known/jwks.json"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The operator's command, run as a separate process against the platform's database. */
async function rotate(on: TestPlatform = t): Promise<{ kid: string; retired: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [ROTATE], {
    env: { ...process.env, DATABASE_URL: on.databaseUrl, LOG_LEVEL: 'silent' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('signing-key rotation, end to end through the gateway', () => {
  it('signs new tokens with the new key while tokens of the old key keep working until they expire', async () => {
    const ada = await t.signUp();
    expect((await t.post(ME, { token: ada.accessToken })).data?.me.user.id).toBe(ada.userId);
    const oldKid = kidOf(ada.accessToken);
    const fetchedBefore = await jwksFetches();
    for (let i = 0; i < 5; i++) expect((await t.post(ME, { token: ada.accessToken })).status).toBe(200);
    expect(await jwksFetches()).toBe(fetchedBefore);

    const { kid: newKid, retired } = await rotate();
    expect(retired).toEqual([oldKid]);
    expect(await jwksKids()).toEqual([oldKid, newKid].sort());

    const relogged = await t.post(`mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }`,
      { variables: { i: { email: ada.email, password: ada.password } } });
    const fresh = relogged.data!.logIn.accessToken as string;
    expect(kidOf(fresh)).toBe(newKid);
    const fetchedBeforeNewKid = await jwksFetches();
    expect((await t.post(ME, { token: fresh })).data?.me.user.id).toBe(ada.userId);
    expect(await jwksFetches()).toBe(fetchedBeforeNewKid + 1);
    expect((await t.post(ME, { token: ada.accessToken })).data?.me.user.id).toBe(ada.userId);
    for (let i = 0; i < 5; i++) expect((await t.post(ME, { token: fresh })).status).toBe(200);
    expect(await jwksFetches()).toBe(fetchedBeforeNewKid + 1);
  });

  it('drops a retired key from the JWKS once every token it signed has expired', async () => {
    const { kid } = await rotate();
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      await rotate();
      await client.query(`update auth.signing_keys set retired_at = now() - interval '16 minutes' where kid = $1`, [kid]);
      expect(await jwksKids()).not.toContain(kid);
      const events = await client.query(`select count(*)::int as n from auth.audit_events where type = 'signing_key.rotated'`);
      expect(events.rows[0].n).toBeGreaterThanOrEqual(2);
    } finally {
      await client.end();
    }
  });

  it('makes forged unknown kids share refetches instead of fetching once per token', async () => {
    const ada = await t.signUp();
    const { kid: real } = await t.signingKey();
    const before = await jwksFetches();
    const forged = Array.from({ length: 20 }, () => {
      const key = attackerKey();
      const { header, claims } = genuine(ada, real);
      return jws({ ...header, kid: key.kid }, claims, ed25519(key.privateKey));
    });
    const replies = await Promise.all(forged.map((token) => t.post(ME, { token })));
    expect(replies.map(codesOf)).toEqual(forged.map(() => ['UNAUTHENTICATED']));
    // Concurrent misses share one fetch and later ones wait out the interval: far fewer fetches than tokens.
    expect(await jwksFetches()).toBeLessThanOrEqual(before + 5);
    expect((await t.post(ME, { token: ada.accessToken })).status).toBe(200);
  });
});

describe('a retired key, once auth has dropped it from the JWKS', () => {
  let s: TestPlatform;
  beforeAll(async () => { s = await startTestPlatform({ jwksMaxAgeMs: 500 }); });
  afterAll(async () => { await s?.stop(); });

  it('is no longer trusted by the gateway, even though no unknown kid has made it fetch the JWKS again', async () => {
    const ada = await s.signUp();
    // The key leaked: whoever holds it signs access tokens for anyone, in any tenant, with any role.
    const leaked = await s.signingKey();
    const forge = () => { const { header, claims } = genuine(ada, leaked.kid); return jws(header, claims, ed25519(leaked.key)); };
    expect((await s.post(ME, { token: forge() })).data?.me.user.id).toBe(ada.userId);

    // The operator rotates; clients log in again, so the gateway fetches the JWKS while it still holds the old key.
    await rotate(s);
    const relogged = await s.post(`mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }`,
      { variables: { i: { email: ada.email, password: ada.password } } });
    const fresh = relogged.data!.logIn.accessToken as string;
    expect((await s.post(ME, { token: fresh })).status).toBe(200);
    expect((await s.post(ME, { token: forge() })).status).toBe(200);

    // One access-token lifetime later auth no longer publishes the old key (moved here by the database clock).
    const client = new pg.Client({ connectionString: s.databaseUrl });
    await client.connect();
    try {
      await client.query(`update auth.signing_keys set retired_at = now() - interval '16 minutes' where kid = $1`, [leaked.kid]);
    } finally {
      await client.end();
    }
    // Past the max age, and past the least interval between two fetches (1 s). The first request past the age
    // starts the refetch in the background (it is checked against the copy in hand); once the fetch is back, the
    // forged token is refused.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await s.post(ME, { token: forge() });
    let codes: unknown[] = [];
    for (let i = 0; i < 100 && codes[0] !== 'UNAUTHENTICATED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      codes = codesOf(await s.post(ME, { token: forge() }));
    }
    expect(codes).toEqual(['UNAUTHENTICATED']);
    expect((await s.post(ME, { token: fresh })).data?.me.user.id).toBe(ada.userId);
  });
});
