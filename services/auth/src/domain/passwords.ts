import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);

/**
 * argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 70 ms per hash on this
 * project's 2-core machine (see the auth README). Parameters live in the PHC string, so they can be raised
 * later and old hashes still verify.
 */
export const DEFAULT_PARAMS = { memory: 19_456, passes: 2, parallelism: 1 };

export async function hashPassword(password: string, params = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await argon2Async('argon2id', { message: password, nonce: salt, tagLength: 32, ...params });
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(phc);
  if (!match) return false;
  const [, m, t, par, salt, expected] = match;
  const want = Buffer.from(expected!, 'base64url');
  const got = await argon2Async('argon2id', {
    message: password, nonce: Buffer.from(salt!, 'base64url'), tagLength: want.length,
    memory: Number(m), passes: Number(t), parallelism: Number(par),
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A hash of a random password, verified against when the email is unknown so timing reveals nothing. */
export const DUMMY_HASH = await hashPassword(randomBytes(16).toString('hex'));
