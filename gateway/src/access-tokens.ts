import { jwtVerify, errors as joseErrors } from 'jose';
import { AppError, ROLES, type Principal, type Role } from '@rowline/kit';
import { createJwksCache } from './jwks-cache.js';

/** Only the algorithm auth signs with; `none`, HS256-with-the-public-key and the like never pass. */
export const ALLOWED_ALGORITHMS = ['EdDSA'];

/**
 * Verifies end users' access tokens against the auth service's JWKS, cached and fetched again only for an
 * unknown `kid` (see jwks-cache.ts), so a key rotation is picked up without a restart.
 */
export function createAccessTokenVerifier(opts: { jwksUrl: string; issuer: string; audience: string; jwksRefetchIntervalMs?: number }) {
  const jwks = createJwksCache({ url: opts.jwksUrl, minRefetchIntervalMs: opts.jwksRefetchIntervalMs }).getKey;
  return async function verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: opts.issuer, audience: opts.audience, algorithms: ALLOWED_ALGORITHMS, typ: 'at+jwt', requiredClaims: ['exp', 'sub', 'jti'],
      });
      const role = payload.role as Role;
      if (payload.typ !== 'access' || typeof payload.tid !== 'string' || !ROLES.includes(role)) {
        throw new AppError('UNAUTHENTICATED', 'Invalid access token');
      }
      return { kind: 'user', tenantId: payload.tid, subject: payload.sub!, role, scopes: [] };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHENTICATED', 'Access token expired');
      if (err instanceof joseErrors.JOSEError) throw new AppError('UNAUTHENTICATED', 'Invalid access token');
      throw err;
    }
  };
}
export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
