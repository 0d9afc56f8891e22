import 'reflect-metadata';
import { graphql, type GraphQLObjectType } from 'graphql';
import { Arg, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { describe, expect, it, vi } from 'vitest';
import {
  AppError, buildSubgraph, Connection, countTimeoutFrom, DEFAULT_PAGE_SIZE, decodeCursor, emptyPage, encodeCursor, EnvError, MAX_PAGE_SIZE,
  pageSize, toConnection, type Page,
} from '@rowline/kit';

const ID = '0193a000-0000-7000-8000-00000000000a';
const badInput = (argument: string) => expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument } });

describe('pageSize', () => {
  it('defaults to twenty when first is not given', () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(null)).toBe(20);
  });

  it('accepts 0 through 100', () => {
    expect(pageSize(0)).toBe(0);
    expect(pageSize(1)).toBe(1);
    expect(pageSize(MAX_PAGE_SIZE)).toBe(100);
  });

  it.each([-1, 101, 1_000_000, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first = %s as BAD_USER_INPUT', (first) => {
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

describe('COUNT_TIMEOUT_MS', () => {
  it('is 2000 ms unless set, and a positive whole number of milliseconds when set', () => {
    expect(countTimeoutFrom({})).toBe(2000);
    expect(countTimeoutFrom({ COUNT_TIMEOUT_MS: '' })).toBe(2000);
    expect(countTimeoutFrom({ COUNT_TIMEOUT_MS: '500' })).toBe(500);
    for (const bad of ['0', '-1', '1.5', 'soon']) expect(() => countTimeoutFrom({ COUNT_TIMEOUT_MS: bad })).toThrow(EnvError);
  });
});

describe('toConnection', () => {
  const rows = ['a', 'b', 'c'].map((c) => ({ id: `0193a000-0000-7000-8000-00000000000${c}` }));
  const pageOf = <T>(r: T[]): Page<T> => ({ rows: r, count: async () => r.length });

  it('uses the extra row only to say there is a next page', () => {
    const page = toConnection(pageOf(rows), 2);
    expect(page.edges.map((e) => e.node)).toEqual(rows.slice(0, 2));
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[1]!.id) });
  });

  it('ends with no next page and a null cursor when nothing matched', () => {
    expect(toConnection(emptyPage(), 20).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('answers a page of size 0 with no edges, and a next page when the one row fetched exists', () => {
    expect(toConnection(pageOf(rows.slice(0, 1)), 0)).toMatchObject({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect(toConnection(emptyPage(), 0)).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('answers a page of size 0 after a cursor with that cursor as endCursor, so a client looping on it stays put', () => {
    const after = encodeCursor(rows[0]!.id);
    expect(toConnection(pageOf(rows.slice(1, 2)), 0, after).pageInfo).toEqual({ hasNextPage: true, endCursor: after });
    expect(toConnection(emptyPage(), 0, after).pageInfo).toEqual({ hasNextPage: false, endCursor: after });
    expect(toConnection(pageOf(rows.slice(1, 2)), 0, null).pageInfo).toEqual({ hasNextPage: true, endCursor: null });
    // A page that holds items ends at its last one, as before.
    expect(toConnection(pageOf(rows.slice(1)), 1, after).pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(rows[1]!.id) });
  });

  it('counts once however often it is asked, and not before', async () => {
    const count = vi.fn(async () => 7);
    const connection = toConnection({ rows, count }, 2);
    expect(count).not.toHaveBeenCalled();
    expect(await Promise.all([connection.count(), connection.count()])).toEqual([7, 7]);
    expect(count).toHaveBeenCalledTimes(1);
  });
});

// Vitest compiles test files with standard decorators only, so type-graphql's (legacy ones) are applied by hand,
// and with JavaScript types: this file may see another copy of graphql than kit's type-graphql does.
class ThingType {
  id!: string;
}
Field(() => String)(ThingType.prototype, 'id');
ObjectType('Thing')(ThingType);
const ThingConnection = Connection(ThingType, 'Thing');

const count = vi.fn(async () => 42);
class ThingResolver {
  things(first?: number) {
    const rows = [{ id: '0193a000-0000-7000-8000-00000000000a' }, { id: '0193a000-0000-7000-8000-00000000000b' }];
    return toConnection({ rows, count }, pageSize(first));
  }
}
Arg('first', () => Number, { nullable: true })(ThingResolver.prototype, 'things', 0);
Query(() => ThingConnection)(ThingResolver.prototype, 'things', Object.getOwnPropertyDescriptor(ThingResolver.prototype, 'things')!);
Resolver()(ThingResolver);

describe('a connection in a subgraph schema', () => {
  const run = async (source: string) => {
    const schema = await buildSubgraph({ resolvers: [new ThingResolver()] });
    return graphql({ schema, source, contextValue: { principal: null, em: null } });
  };

  it('declares totalCount as a nullable Int', async () => {
    const schema = await buildSubgraph({ resolvers: [new ThingResolver()] });
    expect(String((schema.getType('ThingConnection') as GraphQLObjectType).getFields().totalCount!.type)).toBe('Int');
  });

  it('answers a count that fails with null at totalCount and an error at its path, the rest of the page intact', async () => {
    count.mockClear();
    count.mockRejectedValueOnce(new AppError('COUNT_TIMEOUT', 'totalCount could not be counted within 2000 ms', { timeoutMs: 2000 }));
    const reply = await run('{ things(first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }');
    expect(reply.data).toEqual({
      things: {
        totalCount: null, edges: [{ node: { id: '0193a000-0000-7000-8000-00000000000a' } }],
        pageInfo: { hasNextPage: true, endCursor: encodeCursor('0193a000-0000-7000-8000-00000000000a') },
      },
    });
    expect(reply.errors).toHaveLength(1);
    expect(reply.errors![0]!.path).toEqual(['things', 'totalCount']);
    expect((reply.errors![0]!.originalError as AppError).code).toBe('COUNT_TIMEOUT');
  });

  it('counts only when totalCount is selected', async () => {
    count.mockClear();
    expect((await run('{ things(first: 1) { edges { node { id } } pageInfo { hasNextPage } } }')).data)
      .toEqual({ things: { edges: [{ node: { id: '0193a000-0000-7000-8000-00000000000a' } }], pageInfo: { hasNextPage: true } } });
    expect(count).not.toHaveBeenCalled();
    expect((await run('{ things(first: 0) { totalCount a: totalCount edges { cursor } } }')).data).toEqual({ things: { totalCount: 42, a: 42, edges: [] } });
    expect(count).toHaveBeenCalledTimes(1);
  });
});
