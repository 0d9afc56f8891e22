import { createServiceServer, migrate, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { createApiKeys } from './domain/api-keys.js';
import { createMembers } from './domain/members.js';
import { createRateLimits, type LoginLimits } from './domain/rate-limits.js';
import { createSessions } from './domain/sessions.js';
import { mountApiKeyRoutes } from './http/api-key-verify.js';
import { createSigningKeys } from './domain/signing-keys.js';
import { buildAuthSchema } from './schema/index.js';

export const SERVICE = 'auth';
export const SCHEMA = 'auth';
export const JWKS_PATH = '/.well-known/jwks.json';

export async function createAuthService(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; issuer: string; audience: string; exposeInternalErrors?: boolean;
  /** Log-in and sign-up limits; the defaults are in domain/rate-limits.ts. */
  loginLimits?: LoginLimits;
  /** Keys the HMAC of stored API keys; at least 32 characters. */
  apiKeySecret: string;
}) {
  await migrate(deps.orm, SCHEMA);
  const em = () => deps.orm.em.fork();
  const keys = createSigningKeys({ em, issuer: deps.issuer, audience: deps.audience });
  const sessions = createSessions({ em, keys, limits: createRateLimits({ em }), loginLimits: deps.loginLimits });
  const members = createMembers({ em, sessions });
  const apiKeys = createApiKeys({ em, secret: deps.apiKeySecret });
  const schema = await buildAuthSchema({ sessions, members, em, apiKeys });
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
      mountApiKeyRoutes(app, { audience: SERVICE, tokens: deps.tokens, apiKeys, logger: deps.logger });
    },
  });
  return { server, sessions, members, keys, apiKeys };
}
