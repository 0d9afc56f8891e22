import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageSize, toConnection } from '@rowline/kit';

const ID = '0193a000-0000-7000-8000-00000000000a';
const badInput = (argument: string) => expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument } });

describe('pageSize', () => {
  it('defaults to twenty when first is not given', () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(null)).toBe(20);
  });

  it('accepts 1 through 100', () => {
    expect(pageSize(1)).toBe(1);
    expect(pageSize(MAX_PAGE_SIZE)).toBe(100);
  });

  it.each([0, -1, 101, 1_000_000, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first = %s as BAD_USER_INPUT', (first) => {
    expect(() => pageSize(first)).toThrow(badInput('first'));
  });
});

describe('cursors', () => {
  it('round-trip an id and stay opaque to clients', () => {
    const cursor = encodeCursor(ID);
    expect(cursor).not.toContain(ID);
    expect(decodeCursor(cursor)).toBe(ID);
  });

  it('decode an absent cursor to the first page', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(null)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each([
    ['not base64 of anything', 'zzzz'],
    ['an id one character too long', encodeCursor(`${ID}0`)],
    ['an id one character too short', encodeCursor(ID.slice(1))],
    ['an injection attempt', encodeCursor("' OR 1=1 --                        ")],
    ['a raw id', ID],
    ['thirty-six dashes, which only look like an id', encodeCursor('-'.repeat(36))],
    ['thirty-six hex digits without dashes', encodeCursor('f'.repeat(36))],
  ])('refuse %s as BAD_USER_INPUT', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(badInput('after'));
  });
});

describe('toConnection', () => {
  const rows = ['a', 'b', 'c'].map((c) => ({ id: `0193a000-0000-7000-8000-00000000000${c}` }));

  it('uses the extra row only to say there is a next page', () => {
    const page = toConnection(rows, 2);
    expect(page.edges.map((e) => e.node)).toEqual(rows.slice(0, 2));
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[1]!.id) });
  });

  it('ends with no next page and a null cursor when nothing matched', () => {
    expect(toConnection([], 20).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
