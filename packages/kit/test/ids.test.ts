import { describe, expect, it } from 'vitest';
import { idFloorAt, idTimeOf, newId } from '../src/index.js';

describe('idFloorAt', () => {
  it('is the least id of its millisecond: every id made then or later sorts at or after it, every earlier one before', () => {
    const before = idFloorAt(Date.now());
    const id = newId();
    const after = idFloorAt(Date.now() + 1);
    expect(before <= id).toBe(true);
    expect(id < after).toBe(true);
    expect(idFloorAt(new Date('2026-12-01T00:00:00.000Z'))).toBe('01a22ee6-b000-0000-0000-000000000000');
  });

  it('clamps times its 48 bits cannot hold, and refuses what is not a time', () => {
    expect(idFloorAt(new Date('1969-01-01T00:00:00.000Z'))).toBe('00000000-0000-0000-0000-000000000000');
    expect(idFloorAt(2 ** 50)).toBe('ffffffff-ffff-0000-0000-000000000000');
    expect(() => idFloorAt(new Date('nope'))).toThrow(RangeError);
  });
});

describe('idTimeOf', () => {
  it('reads the millisecond an id was made at, the one idFloorAt makes the least id of', () => {
    const at = Date.parse('2026-12-01T00:00:00.000Z');
    expect(idTimeOf(idFloorAt(at))).toBe(at);
    const before = Date.now();
    const t = idTimeOf(newId());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(() => idTimeOf('nope')).toThrow(RangeError);
  });
});
