import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

export type Secrets = Record<string, string>;

/**
 * Seals a destination's secret fields with AES-256-GCM. The envelope is `v1.<iv>.<tag>.<ciphertext>`
 * (base64url) so a later key rotation can add `v2` beside it. `context` (tenant and destination id) is
 * bound as associated data: a sealed value copied into another row, or another tenant's, fails to open.
 */
export function createSecretBox(key: Buffer) {
  if (key.length !== 32) throw new Error('The delivery secret key must be 32 bytes (AES-256)');
  return {
    seal(secrets: Secrets, context: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed: string, context: string): Secrets {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('Unknown secret envelope');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as Secrets;
    },
  };
}
export type SecretBox = ReturnType<typeof createSecretBox>;

/** The associated data a destination's secrets are sealed under. */
export const secretContext = (tenantId: string, destinationId: string) => `destination:${tenantId}:${destinationId}`;
