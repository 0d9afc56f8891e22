import { createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ROLES, type Role } from './permissions.js';
import { AppError } from './errors.js';

/** Who is calling, as verified from the internal token. Subgraphs trust nothing else. */
export type Principal = {
  kind: 'user' | 'api_key' | 'service';
  tenantId: string;
  subject: string;
  role: Role;
  /** Extra narrowing (API-key scopes); empty means "whatever the role allows". */
  scopes: string[];
};

const ISSUER = 'rowline-internal';
/** Signed tokens remembered at once (the oldest goes first). */
const SIGNED_TOKENS_KEPT = 10_000;
const ALG = 'HS256';
/** Verified tokens remembered at once (the oldest goes first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Short-lived tokens the gateway (and services, for their own internal calls) sign for exactly one
 * audience. HS256 with a shared secret keeps the foundation simple; the audience check stops a token meant
 * for one subgraph from being replayed against another.
 */
export function createInternalTokens(secret: string) {
  // A KeyObject made once: handing jose raw bytes made it import the HMAC key again on every call.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  // The gateway signs one token per subgraph call, for the same caller again and again: a token is reused
  // for the first half of its life, so a subgraph never receives one with less than half its lifetime left.
  const signed = new Map<string, { token: string; reuseUntil: number }>();
  const signFresh = (principal: Principal | null, audience: string, ttlSeconds: number): Promise<string> => {
    const claims = principal
      ? { tid: principal.tenantId, role: principal.role, scp: principal.scopes, knd: principal.kind }
      : { knd: 'anonymous' };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject(principal?.subject ?? 'anonymous')
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
  };
  // Signed tokens are reused (above), so a subgraph sees the same token string again and again: the outcome
  // of a successful check is remembered, per audience, until the token's exp. A failure is never remembered.
  const verified = new Map<string, { principal: Principal | null; expiresAt: number }>();
  const verifyFresh = async (token: string, audience: string): Promise<{ principal: Principal | null; expiresAt: number }> => {
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience, algorithms: [ALG] });
      // jose refuses a token without exp only when asked to; ours always carry one, so one without it is not remembered.
      const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
      if (payload.knd === 'anonymous') return { principal: null, expiresAt };
      const role = payload.role as Role;
      if (typeof payload.tid !== 'string' || typeof payload.sub !== 'string' || !ROLES.includes(role)) {
        throw new AppError('UNAUTHENTICATED', 'Malformed internal token');
      }
      const kind = payload.knd === 'api_key' || payload.knd === 'service' ? payload.knd : 'user';
      const scopes = Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string') : [];
      return { principal: { kind, tenantId: payload.tid, subject: payload.sub, role, scopes }, expiresAt };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JOSEError) throw new AppError('UNAUTHENTICATED', 'Invalid internal token');
      throw err;
    }
  };
  /** A copy, so that no caller can change what the next request of the same token is given. */
  const copyOf = (p: Principal | null): Principal | null => (p ? { ...p, scopes: [...p.scopes] } : null);
  return {
    /** `null` signs an anonymous call: it proves the gateway sent it, but grants no tenant. */
    async sign(principal: Principal | null, audience: string, ttlSeconds = 60): Promise<string> {
      const cacheKey = JSON.stringify([audience, ttlSeconds, principal && [principal.kind, principal.tenantId, principal.subject, principal.role, principal.scopes]]);
      const hit = signed.get(cacheKey);
      if (hit && hit.reuseUntil > Date.now()) return hit.token;
      const token = await signFresh(principal, audience, ttlSeconds);
      if (signed.size >= SIGNED_TOKENS_KEPT) signed.delete(signed.keys().next().value!);
      signed.set(cacheKey, { token, reuseUntil: Date.now() + (ttlSeconds * 1000) / 2 });
      return token;
    },
    async verify(token: string, audience: string): Promise<Principal | null> {
      const cacheKey = `${audience} ${token}`;
      const hit = verified.get(cacheKey);
      if (hit && hit.expiresAt > Date.now()) return copyOf(hit.principal);
      if (hit) verified.delete(cacheKey);
      const fresh = await verifyFresh(token, audience);
      if (fresh.expiresAt > Date.now()) {
        if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
        verified.set(cacheKey, fresh);
      }
      return copyOf(fresh.principal);
    },
  };
}
export type InternalTokens = ReturnType<typeof createInternalTokens>;
