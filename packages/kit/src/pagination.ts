import { ClassType, Directive, Field, ObjectType, Int } from 'type-graphql';
import { badInput } from './errors.js';
import { isUuid } from './ids.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType()
@Directive('@shareable')
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

/**
 * Counts every item of a list's filter (the tenant and the list's arguments, never `after`). Lists build it
 * with `boundedCount` from the same conditions as their page, through the same entity manager, so it is scoped
 * as the page is and bounded in time.
 */
export type Count = () => Promise<number>;

/** What a list reads for one request: `size + 1` rows from the cursor on, and how to count all of its matches. */
export type Page<T> = { rows: T[]; count: Count };

/** The page of a filter that can match nothing (a malformed id), answered without a query. */
export const emptyPage = <T>(): Page<T> => ({ rows: [], count: async () => 0 });

const TOTAL_COUNT_DESCRIPTION = 'The number of items the list\'s arguments match on all pages (`after` aside); counted only when '
  + 'selected; null, with an error at this path, when it could not be counted (COUNT_TIMEOUT).';

/** A Relay connection type for `Node`; one per node type, named `<Node>Connection`. */
export function Connection<T extends object>(Node: ClassType<T>, name = Node.name) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => Node) node!: T;
  }
  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    /** Not a field: what `totalCount` runs, so that a page whose client does not ask costs no count. */
    count!: Count;
    /**
     * Nullable on purpose: a count that fails (COUNT_TIMEOUT) blanks this field alone, not the page; and during a
     * rolling deploy a subgraph that does not count yet answers null without nulling its parents.
     */
    @Field(() => Int, { nullable: true, description: TOTAL_COUNT_DESCRIPTION })
    totalCount(): Promise<number> { return this.count(); }
  }
  return ConnectionType;
}

/** Cursors are opaque to clients: the base64url of the last item's id (ids are time-ordered UUIDv7). */
export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (!cursor) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // A full UUID check: anything looser (36 dashes) reaches Postgres and fails there as an internal error.
  if (!isUuid(id)) throw badInput('Invalid cursor', { argument: 'after' });
  return id;
}

/** `first` as Relay allows it, 0 included: a page of no edges still tells `hasNextPage` and `totalCount`. */
export function pageSize(first: number | null | undefined): number {
  const n = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
  }
  return n;
}

/**
 * Builds a connection from `size + 1` rows fetched in id order: the extra row only signals a next page (with
 * `size` 0, the one row fetched says whether anything lies after the cursor). `after`: the cursor the client
 * gave; a page of size 0 answers it as `endCursor`, so a client looping on `hasNextPage`/`endCursor` stays where
 * it was instead of starting over. The count runs at most once, and only if the client selected `totalCount`.
 */
export function toConnection<T extends { id: string }>({ rows, count }: Page<T>, size: number, after?: string | null) {
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  let counted: Promise<number> | undefined;
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: { hasNextPage: rows.length > size, endCursor: last ? encodeCursor(last.id) : size === 0 ? (after ?? null) : null },
    count: () => (counted ??= count()),
  };
}
