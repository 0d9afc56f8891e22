import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../src/domain/secret-box.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('opens what it sealed, and seals the same value differently each time', () => {
    const a = box.seal({ password: 'p@ss' }, 'ctx');
    expect(box.open(a, 'ctx')).toEqual({ password: 'p@ss' });
    expect(box.seal({ password: 'p@ss' }, 'ctx')).not.toBe(a);
  });

  it('refuses a sealed value moved to another context, altered, or under another key', () => {
    const sealed = box.seal({ password: 'p@ss' }, 'destination:tenant-a:1');
    expect(() => box.open(sealed, 'destination:tenant-b:1')).toThrow();
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'destination:tenant-a:1')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'destination:tenant-a:1')).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
