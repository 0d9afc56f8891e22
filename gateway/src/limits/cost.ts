import {
  Kind,
  type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema, type GraphQLType,
  type OperationDefinitionNode, type SelectionNode, type ValueNode,
} from 'graphql';

/** What a connection without `first` answers (kit's DEFAULT_PAGE_SIZE): its children are counted that often. */
const DEFAULT_PAGE_SIZE = 20;
/**
 * A connection's `totalCount`, once per connection whatever its page size: one query, but one that reads an
 * index entry for every match instead of a page of them, so it is priced as a default page of fields.
 */
export const TOTAL_COUNT_COST = DEFAULT_PAGE_SIZE;
const PAGE_ARGS = ['first', 'last'];
const SIZE_ARGS = [...PAGE_ARGS, 'limit'];
/** A list of ids (`executionsByIds(ids:)`) answers one item per id: its children are counted that often. */
const ID_LIST_ARGS = ['ids'];

export type CostEstimate = {
  /** An upper bound of the fields the operation can resolve: each field 1, times the page size above it. */
  cost: number;
  /** The first `first`/`last` argument above the allowed page size, if any. */
  oversized?: { field: string; argument: string; value: number };
};

/** `perItem` is paid for every item of the list around it; `once` (a connection's totalCount) once per list. */
type Cost = { perItem: number; once: number };
const NOTHING: Cost = { perItem: 0, once: 0 };

/**
 * A static cost estimate, computed from the document and its variables before anything executes. A field
 * costs 1 plus its selection's cost times its page size (`first`, `last` or `limit`, else the argument's
 * default, else the length of its `ids`, else 20 for a connection, else 1); union and interface branches are all counted. A connection's
 * `totalCount` costs TOTAL_COUNT_COST, not multiplied by the connection's own page size (so that
 * `first: 0 { totalCount }` is not free either).
 */
export function estimateCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
  maxPageSize: number,
): CostEstimate {
  let oversized: CostEstimate['oversized'];
  const active = new Set<string>();

  const sizeOf = (node: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number => {
    let size: number | undefined;
    for (const name of SIZE_ARGS) {
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given ? intOf(given.value, variables) : undefined;
      const fallback = def?.args.find((a) => a.name === name)?.defaultValue;
      const n = value ?? (typeof fallback === 'number' ? fallback : undefined);
      if (n === undefined) continue;
      if (value !== undefined && PAGE_ARGS.includes(name) && value > maxPageSize && !oversized) oversized = { field: node.name.value, argument: name, value };
      size = Math.max(size ?? 0, n, 0);
    }
    if (size !== undefined) return size;
    for (const name of ID_LIST_ARGS) {
      const given = node.arguments?.find((a) => a.name.value === name);
      const length = given ? lengthOf(given.value, variables) : undefined;
      if (length !== undefined) return length;
    }
    return def?.args.some((a) => PAGE_ARGS.includes(a.name)) ? DEFAULT_PAGE_SIZE : 1;
  };

  const costOf = (parent: GraphQLNamedType | undefined, selections: readonly SelectionNode[]): Cost => {
    const total = { ...NOTHING };
    const add = (c: Cost) => { total.perItem += c.perItem; total.once += c.once; };
    for (const s of selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value === '__typename') continue;
        if (s.name.value === 'totalCount' && isConnection(parent)) { total.once += TOTAL_COUNT_COST; continue; }
        const def = fieldsOf(parent)?.[s.name.value];
        const child = s.selectionSet ? costOf(def && namedType(def.type), s.selectionSet.selections) : NOTHING;
        total.perItem += 1 + sizeOf(s, def) * child.perItem + child.once;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        add(costOf(s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent, s.selectionSet.selections));
      } else {
        const fragment = fragments[s.name.value];
        if (!fragment || active.has(s.name.value)) continue;
        active.add(s.name.value);
        add(costOf(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet.selections));
        active.delete(s.name.value);
      }
    }
    return total;
  };

  const root = operation.operation === 'query' ? schema.getQueryType()
    : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const total = costOf(root ?? undefined, operation.selectionSet.selections);
  return { cost: total.perItem + total.once, ...(oversized ? { oversized } : {}) };
}

/*
 * Duck-typed on purpose, like kit's appErrorOf: Apollo hands us a schema built by graphql's CommonJS copy,
 * and graphql's isObjectType/getNamedType from its ESM copy refuse that schema's types as foreign.
 */
function fieldsOf(type: GraphQLNamedType | undefined): Record<string, GraphQLField<unknown, unknown>> | undefined {
  return type && 'getFields' in type && !('parseValue' in type) ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>) : undefined;
}

/** Every list is a `<Node>Connection` (kit's Connection), so the name tells one. */
const isConnection = (type: GraphQLNamedType | undefined): boolean => !!type && type.name.endsWith('Connection');

function namedType(type: GraphQLType): GraphQLNamedType {
  let t = type;
  while ('ofType' in t && t.ofType) t = t.ofType;
  return t as GraphQLNamedType;
}

/** A list argument's length; a single value given for a list counts as one item (GraphQL's input coercion). */
function lengthOf(value: ValueNode, variables: Readonly<Record<string, unknown>>): number | undefined {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return Array.isArray(v) ? v.length : v == null ? undefined : 1;
  }
  return value.kind === Kind.NULL ? undefined : 1;
}

function intOf(value: ValueNode, variables: Readonly<Record<string, unknown>>): number | undefined {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}
