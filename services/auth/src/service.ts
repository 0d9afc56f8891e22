import { createServiceServer, migrate, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { createSessions } from './domain/sessions.js';
import { createSigningKeys } from './domain/signing-keys.js';
import { buildAuthSchema } from './schema/index.js';

export const SERVICE = 'auth';
export const SCHEMA = 'auth';
export const JWKS_PATH = '/.well-known/jwks.json';

export async function createAuthService(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens; issuer: string; audience: string; exposeInternalErrors?: boolean;
}) {
  await migrate(deps.orm, SCHEMA);
  const em = () => deps.orm.em.fork();
  const keys = createSigningKeys({ em, issuer: deps.issuer, audience: deps.audience });
  const sessions = createSessions({ em, keys });
  const schema = await buildAuthSchema({ sessions, em });
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
  return { server, sessions, keys };
}
