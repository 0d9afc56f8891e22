import { jwtVerify, errors as joseErrors } from 'jose';
import { AppError, isWellFormedApiKey, ROLES, type Principal, type Role } from '@rowline/kit';
import { createJwksCache } from './jwks-cache.js';

/** Only the algorithm auth signs with; `none`, HS256-with-the-public-key and the like never pass. */
export const ALLOWED_ALGORITHMS = ['EdDSA'];

/**
 * What a client does about an expired access token, in fixed words (`extensions.hint`; docs quote it). The
 * refresh must go without the expired token: the gateway refuses a request whose token fails, whatever it asks.
 */
export const EXPIRED_TOKEN_HINT =
  'Get a new access token with the refreshSession(refreshToken) mutation on /graphql, sent without the expired token (no Authorization header), then retry with the new one';

/** The converse of the partner endpoint's hint for a user token sent there: an API key sent here. */
export const API_KEY_HINT = 'This is an API key: /graphql takes user access tokens (from logIn or refreshSession); send API keys to /partner/graphql';

/** Verified tokens remembered at once (the oldest goes first): bounds memory whatever clients send. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies end users' access tokens against the auth service's JWKS, cached and fetched again only for an
 * unknown `kid` (see jwks-cache.ts), so a key rotation is picked up without a restart.
 */
export function createAccessTokenVerifier(opts: { jwksUrl: string; issuer: string; audience: string; jwksRefetchIntervalMs?: number; jwksMaxAgeMs?: number }) {
  const cache = createJwksCache({ url: opts.jwksUrl, minRefetchIntervalMs: opts.jwksRefetchIntervalMs, maxAgeMs: opts.jwksMaxAgeMs });
  const jwks = cache.getKey;
  // A client sends the same token on every request for up to 15 minutes: an EdDSA verification each time
  // was a fifth of the gateway's time per small query. A token verified once stays valid until its `exp`
  // (access tokens cannot be revoked earlier anyway) or, sooner, until the key set it was checked with is
  // replaced (a rotation, or the refetch for age that drops a withdrawn key), and only the exact string,
  // signature included, hits. While auth cannot answer, the set in hand stays, and so do the tokens checked
  // with it: the same set would accept them again.
  const verified = new Map<string, { principal: Principal; expiresAt: number; checkedWith: number }>();
  return async function verify(token: string): Promise<Principal> {
    const hit = verified.get(token);
    if (hit && hit.expiresAt > Date.now() && hit.checkedWith === cache.generation) {
      cache.refreshIfOld();
      return hit.principal;
    }
    if (hit) verified.delete(token);
    try {
      // The key set in hand (a fetch the check itself awaits replaces it: the entry is then dropped at its next hit, no harm).
      const checkedWith = cache.generation;
      const { payload } = await jwtVerify(token, jwks, {
        issuer: opts.issuer, audience: opts.audience, algorithms: ALLOWED_ALGORITHMS, typ: 'at+jwt', requiredClaims: ['exp', 'sub', 'jti'],
      });
      const role = payload.role as Role;
      if (payload.typ !== 'access' || typeof payload.tid !== 'string' || !ROLES.includes(role)) {
        throw new AppError('UNAUTHENTICATED', 'Invalid access token');
      }
      const principal: Principal = { kind: 'user', tenantId: payload.tid, subject: payload.sub!, role, scopes: [] };
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, expiresAt: payload.exp! * 1000, checkedWith });
      return principal;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHENTICATED', 'Access token expired', { hint: EXPIRED_TOKEN_HINT });
      if (err instanceof joseErrors.JOSEError) {
        throw new AppError('UNAUTHENTICATED', 'Invalid access token', isWellFormedApiKey(token) ? { hint: API_KEY_HINT } : {});
      }
      throw err;
    }
  };
}
export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
