import { describe, expect, it } from 'vitest';
import { API_KEY_LENGTH, generateApiKey, isWellFormedApiKey } from '../src/api-key-format.js';

describe('API key format', () => {
  it('generates distinct keys that check out', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys).size).toBe(200);
    for (const key of keys) {
      expect(key).toMatch(/^rwl_[0-9A-Za-z]{38}$/);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
  });

  it('refuses every single-character change of the body or the checksum', () => {
    const key = generateApiKey();
    for (let i = 4; i < key.length; i++) {
      const swapped = key[i] === 'x' ? 'y' : 'x';
      expect(isWellFormedApiKey(key.slice(0, i) + swapped + key.slice(i + 1))).toBe(false);
    }
  });

  it('refuses a wrong prefix, length or alphabet', () => {
    const key = generateApiKey();
    expect(isWellFormedApiKey(`rwk_${key.slice(4)}`)).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key}0`)).toBe(false);
    expect(isWellFormedApiKey(`${key.slice(0, 10)}-${key.slice(11)}`)).toBe(false);
    expect(isWellFormedApiKey('')).toBe(false);
  });
});
