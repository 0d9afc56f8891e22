import { createServiceServer, migrate, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { createMembers } from './domain/members.js';
import { createRateLimits, type LoginLimits } from './domain/rate-limits.js';
import { createSessions } from './domain/sessions.js';
import { createSigningKeys } from './domain/signing-keys.js';
import { buildAuthSchema } from './schema/index.js';

export const SERVICE = 'auth';
export const SCHEMA = 'auth';
export const JWKS_PATH = '/.well-known/jwks.json';

export async function createAuthService(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; issuer: string; audience: string; exposeInternalErrors?: boolean;
  /** Log-in and sign-up limits; the defaults are in domain/rate-limits.ts. */
  loginLimits?: LoginLimits;
}) {
  await migrate(deps.orm, SCHEMA);
  const em = () => deps.orm.em.fork();
  const keys = createSigningKeys({ em, issuer: deps.issuer, audience: deps.audience });
  const sessions = createSessions({ em, keys, limits: createRateLimits({ em }), loginLimits: deps.loginLimits });
  const members = createMembers({ em, sessions });
  const schema = await buildAuthSchema({ sessions, members, em });
  const server = await createServiceServer({
    name: SERVICE,
    logger: deps.logger,
    schema,
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
    routes: (app) => {
      // Public keys for the gateway's token verification; cacheable, refetched by kid on rotation.
      app.get(JWKS_PATH, async (_req, res) => {
        res.setHeader('cache-control', 'public, max-age=300');
        res.json(await keys.jwks());
      });
    },
  });
  return { server, sessions, members, keys };
}
