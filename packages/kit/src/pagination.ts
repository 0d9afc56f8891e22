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
    @Field(() => Int, { nullable: true, description: 'Total matching items, when cheap to count' }) totalCount?: number | null;
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

export function pageSize(first: number | null | undefined): number {
  const n = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
  }
  return n;
}

/** Builds a connection from `size + 1` rows fetched in id order: the extra row only signals a next page. */
export function toConnection<T extends { id: string }>(rows: T[], size: number, totalCount?: number) {
  const page = rows.slice(0, size);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: { hasNextPage: rows.length > size, endCursor: page.length ? encodeCursor(page[page.length - 1]!.id) : null },
    totalCount: totalCount ?? null,
  };
}
