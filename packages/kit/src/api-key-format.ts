import { randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The shape of a partner API key: `rwl_` + 32 random base62 characters (about 190 bits) + 6 base62
 * characters of CRC32 over everything before them. The prefix lets secret scanners and people recognise a
 * Rowline key; the checksum lets the gateway and auth refuse a mistyped or made-up key without any lookup.
 */
export const API_KEY_PREFIX = 'rwl_';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

function checksumOf(head: string): string {
  let n = crc32(head);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) { out = BASE62[n % 62] + out; n = Math.floor(n / 62); }
  return out;
}

/** Uniform base62 by rejection sampling: bytes >= 248 would make the first characters likelier. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(): string {
  const head = API_KEY_PREFIX + randomBase62(BODY_LENGTH);
  return head + checksumOf(head);
}

/** True when `key` has the prefix, the length, the alphabet and a matching checksum. Compares in constant time. */
export function isWellFormedApiKey(key: string): boolean {
  if (key.length !== API_KEY_LENGTH || !SHAPE.test(key)) return false;
  const head = key.slice(0, -CHECKSUM_LENGTH);
  return timingSafeEqual(Buffer.from(checksumOf(head)), Buffer.from(key.slice(-CHECKSUM_LENGTH)));
}
