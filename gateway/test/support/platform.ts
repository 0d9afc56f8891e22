import { createPrivateKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { graphqlClient, startPlatform, type Platform, type PlatformOptions } from '@rowline/embedded';
import { createTestDatabase } from '@rowline/testing';

export const ISSUER = 'rowline-auth';
export const AUDIENCE = 'rowline-api';

export type Reply<T = any> = {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
};

/**
 * The whole platform in this process (every subgraph, the gateway, the in-process bus) on a database of
 * its own, with helpers to call it the way a client would.
 */
export async function startTestPlatform(opts: Pick<PlatformOptions, 'partner' | 'jwksMaxAgeMs' | 'executions'> = {}) {
  const db = await createTestDatabase('gateway');
  const dataDir = await mkdtemp(join(tmpdir(), 'rowline-gateway-'));
  const internalTokenSecret = randomBytes(32).toString('hex');
  let platform: Platform;
  try {
    platform = await startPlatform({
      databaseUrl: db.url, dataDir, port: 0, logLevel: 'silent', ...opts,
      secrets: { internalToken: internalTokenSecret, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
    });
  } catch (err) {
    await db.drop();
    throw err;
  }

  /** One GraphQL request to the gateway with exactly these headers. */
  async function post<T = any>(query: string, opts: { variables?: object; token?: string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const res = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ query, variables: opts.variables ?? {} }),
    });
    return { status: res.status, ...((await res.json()) as object) };
  }

  /** A new tenant and its owner, signed up through the gateway like any client. */
  async function signUp(tenantName = 'Acme') {
    const email = `${randomUUID()}@example.com`;
    const password = 'correct horse battery staple';
    const res = await graphqlClient(platform.graphqlUrl).request(
      `mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { id email } tenant { id slug } } }`,
      { i: { email, password, name: 'Ada', tenantName } });
    if (!res.data) throw new Error(`sign-up failed: ${JSON.stringify(res.errors)}`);
    const { accessToken, refreshToken, user, tenant } = res.data.signUp as {
      accessToken: string; refreshToken: string; user: { id: string; email: string }; tenant: { id: string; slug: string };
    };
    return { accessToken, refreshToken, userId: user.id, email, password, tenantId: tenant.id, tenantSlug: tenant.slug };
  }

  /** The key auth signs access tokens with, read from its table: lets a test mint tokens that differ in one claim. */
  async function signingKey(): Promise<{ kid: string; key: KeyObject }> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ kid: string; private_pkcs8: string }>(
        'select kid, private_pkcs8 from auth.signing_keys where retired_at is null order by created_at desc limit 1');
      if (!rows[0]) throw new Error('auth has no signing key yet: sign someone up first');
      return { kid: rows[0].kid, key: createPrivateKey(rows[0].private_pkcs8) };
    } finally {
      await client.end();
    }
  }

  return {
    platform,
    databaseUrl: db.url,
    internalTokenSecret,
    post,
    signUp,
    signingKey,
    async stop() {
      await platform.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
export type TestPlatform = Awaited<ReturnType<typeof startTestPlatform>>;

export const codesOf = (reply: Reply) => (reply.errors ?? []).map((e) => e.extensions?.code);
