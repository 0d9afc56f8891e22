import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@rowline/kit';
import { SigningKeyEntity } from '../store/entities.js';

export const ACCESS_TOKEN_ALG = 'EdDSA';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export type AccessClaims = { userId: string; tenantId: string; role: string };

async function newKeyRow(em: EntityManager) {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  return em.create(SigningKeyEntity, {
    kid, alg: ACCESS_TOKEN_ALG, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALG, use: 'sig' },
    privatePkcs8: await exportPKCS8(privateKey),
  });
}

/**
 * Makes a new key the signing key and retires the others. Retired keys stay in the JWKS for one access-token
 * lifetime, so tokens they signed keep working until they expire and nobody is logged out. Every auth
 * replica reads the current kid before signing, so all of them switch at once without a restart.
 */
export async function rotateSigningKey(em: EntityManager): Promise<{ kid: string; retired: string[] }> {
  return em.transactional(async (tx) => {
    // One rotation at a time: two at once would each retire the other's new key.
    await tx.execute(`select pg_advisory_xact_lock(hashtext('auth.signing-keys'))`);
    const current = await tx.find(SigningKeyEntity, { retiredAt: null });
    for (const row of current) row.retiredAt = new Date();
    const row = await newKeyRow(tx);
    return { kid: row.kid, retired: current.map((r) => r.kid) };
  });
}

/**
 * The key that signs access tokens, and the public keys served as JWKS. The newest unretired key signs;
 * retired keys stay published until every token they signed has expired, so a rotation logs nobody out.
 */
export function createSigningKeys(deps: { em: () => EntityManager; issuer: string; audience: string }) {
  const imported = new Map<string, CryptoKey>();

  /** One indexed read per token signed (a log-in already costs an argon2id hash), so a rotation is seen at once. */
  async function activeKey(): Promise<{ kid: string; key: CryptoKey }> {
    const em = deps.em();
    let row = await em.findOne(SigningKeyEntity, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
    if (!row) {
      await em.transactional(async (tx) => {
        await tx.execute(`select pg_advisory_xact_lock(hashtext('auth.signing-keys'))`);
        if (!(await tx.count(SigningKeyEntity, { retiredAt: null }))) await newKeyRow(tx);
      });
      row = await deps.em().findOneOrFail(SigningKeyEntity, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
    }
    let key = imported.get(row.kid);
    if (!key) {
      key = await importPKCS8(row.privatePkcs8, ACCESS_TOKEN_ALG);
      imported.set(row.kid, key);
    }
    return { kid: row.kid, key };
  }

  return {
    async signAccessToken(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
      const { kid, key } = await activeKey();
      // Whole seconds, like the token's `exp`: a client refreshing at `expiresAt` must not send an expired token.
      const expiresAt = new Date((Math.floor(Date.now() / 1000) + ACCESS_TOKEN_TTL_SECONDS) * 1000);
      const token = await new SignJWT({ tid: claims.tenantId, role: claims.role, typ: 'access' })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer)
        .setAudience(deps.audience)
        .setSubject(claims.userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key);
      return { token, expiresAt };
    },
    async jwks(): Promise<{ keys: JWK[] }> {
      await activeKey();
      const cutoff = new Date(Date.now() - ACCESS_TOKEN_TTL_SECONDS * 1000);
      const rows = await deps.em().find(SigningKeyEntity, { $or: [{ retiredAt: null }, { retiredAt: { $gt: cutoff } }] });
      return { keys: rows.map((r) => r.publicJwk as JWK) };
    },
  };
}
export type SigningKeys = ReturnType<typeof createSigningKeys>;
