import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { AUDIENCE, ISSUER } from './platform.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export type Signer = (input: Buffer) => Buffer;
export const ed25519 = (key: KeyObject): Signer => (input) => sign(null, input, key);
export const hs256 = (secret: string | Buffer): Signer => (input) => createHmac('sha256', secret).update(input).digest();
export const unsigned: Signer = () => Buffer.alloc(0);

/** A compact JWS of exactly this header and payload: no library in between to refuse or fix anything. */
export function jws(header: object, payload: object, signer: Signer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

/** The header and claims of a genuine access token for `who`; forgeries change one thing. */
export function genuine(who: { userId: string; tenantId: string }, kid: string) {
  const now = Math.floor(Date.now() / 1000);
  return {
    header: { alg: 'EdDSA', kid, typ: 'at+jwt' },
    claims: { iss: ISSUER, aud: AUDIENCE, sub: who.userId, tid: who.tenantId, role: 'OWNER', typ: 'access', jti: randomUUID(), iat: now, exp: now + 300 },
  };
}

/** An Ed25519 key pair the attacker owns, with its public half as a JWK. */
export function attackerKey(kid = `attacker-${randomUUID()}`) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
}
