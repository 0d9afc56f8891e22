import { randomBytes, randomUUID } from 'node:crypto';
import { CLIENT_ADDRESS_HEADER, createInternalTokens, createLogger, createOrm, INTERNAL_TOKEN_HEADER, type Principal, type Role } from '@rowline/kit';
import { createTestDatabase } from '@rowline/testing';
import { createAuthService, entities, JWKS_PATH, migrations, SCHEMA } from '../../src/index.js';
import type { LoginLimits } from '../../src/domain/rate-limits.js';

export const ISSUER = 'rowline-auth-test';
export const AUDIENCE = 'rowline-api-test';

export type GraphQLResult<T = any> = {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions: Record<string, any> }>;
};
export type Session = {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; email: string; name: string };
  tenant: { id: string; name: string; slug: string };
  role: Role;
};

export const SESSION_FIELDS = 'accessToken refreshToken expiresAt role user { id email name } tenant { id name slug }';
export const PASSWORD = 'correct horse battery staple';

/**
 * The auth subgraph on its own database, listening on a free port, called the way the gateway calls it:
 * with an anonymous internal token for the public mutations, or one carrying a principal.
 */
export async function startAuth(opts: { loginLimits?: LoginLimits } = {}) {
  const db = await createTestDatabase('auth');
  const logger = createLogger({ service: 'auth-test', level: 'silent' });
  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger });
  const tokens = createInternalTokens(randomBytes(32).toString('hex'));
  const { server } = await createAuthService({
    logger, orm, tokens, issuer: ISSUER, audience: AUDIENCE, loginLimits: opts.loginLimits, apiKeySecret: randomBytes(32).toString('hex'),
  });
  const base = `http://127.0.0.1:${await server.listen(0)}`;

  /** `address` is the client address the gateway would pass on. */
  async function gql<T = any>(query: string, variables: object = {}, as: Principal | null = null, address?: string): Promise<GraphQLResult<T>> {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await tokens.sign(as, 'auth'),
        ...(address ? { [CLIENT_ADDRESS_HEADER]: address } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, ...((await res.json()) as object) };
  }

  /** A new tenant and its owner; `overrides` change the sign-up input. */
  async function signUp(overrides: Partial<{ email: string; password: string; name: string; tenantName: string }> = {}) {
    const input = { email: `${randomUUID()}@example.com`, password: PASSWORD, name: 'Ada Lovelace', tenantName: 'Analytical Engines', ...overrides };
    const res = await gql<{ signUp: Session }>(`mutation($input: SignUpInput!) { signUp(input: $input) { ${SESSION_FIELDS} } }`, { input });
    if (!res.data) throw new Error(`sign-up failed: ${JSON.stringify(res.errors)}`);
    return { ...res.data.signUp, password: input.password };
  }

  const logIn = (input: { email: string; password: string; tenantSlug?: string }, address?: string) =>
    gql<{ logIn: Session }>(`mutation($input: LogInInput!) { logIn(input: $input) { ${SESSION_FIELDS} } }`, { input }, null, address);
  const refresh = (refreshToken: string) =>
    gql<{ refreshSession: Session }>(`mutation($t: String!) { refreshSession(refreshToken: $t) { ${SESSION_FIELDS} } }`, { t: refreshToken });
  const logOut = (refreshToken: string) => gql<{ logOut: boolean }>(`mutation($t: String!) { logOut(refreshToken: $t) }`, { t: refreshToken });

  /** Straight to the database, past the service: what is really stored. */
  const sql = <R = Record<string, unknown>>(query: string, params: unknown[] = []) =>
    orm.em.fork().execute<R[]>(query, params);

  /**
   * Holds the row lock `lockQuery` takes (a `select ... for update`) in a transaction of its own until
   * `release` is called, so a test can line concurrent requests up behind it and let them go together.
   */
  async function holdLock(lockQuery: string, params: unknown[]) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => { locked = resolve; });
    const done = orm.em.fork().transactional(async (tx) => {
      await tx.execute(lockQuery, params);
      locked();
      await released;
    });
    await Promise.race([isLocked, done]);
    return {
      /** Resolves once `count` sessions of this database wait for a lock. */
      async waiters(count: number) {
        for (const end = Date.now() + 20_000; Date.now() < end;) {
          const [row] = await sql<{ n: string }>(
            `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
          if (Number(row!.n) >= count) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`fewer than ${count} sessions ever waited for the lock`);
      },
      async release() { release(); await done; },
    };
  }

  return {
    base,
    jwksUrl: `${base}${JWKS_PATH}`,
    tokens,
    gql,
    signUp,
    logIn,
    refresh,
    logOut,
    sql,
    holdLock,
    /** The service's own ORM: to count the statements a request sends. */
    orm,
    async stop() {
      await server.close();
      await orm.close();
      await db.drop();
    },
  };
}
export type AuthHarness = Awaited<ReturnType<typeof startAuth>>;

/** The principal the gateway derives from a session's access token. */
export const principalOf = (session: Pick<Session, 'user' | 'tenant' | 'role'>): Principal => ({
  kind: 'user', tenantId: session.tenant.id, subject: session.user.id, role: session.role, scopes: [],
});

export const codesOf = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions.code);
