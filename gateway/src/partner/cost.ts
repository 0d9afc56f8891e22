import {
  Kind, valueFromASTUntyped, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLOutputType,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';

// Duck-typed on purpose: the schema comes from Apollo's copy of graphql (CJS), and graphql's own type
// predicates refuse objects of another copy ("from another module or realm").
const namedOf = (type: GraphQLOutputType): GraphQLNamedType => {
  let t: any = type;
  while (t.ofType) t = t.ofType;
  return t;
};
const isList = (type: GraphQLOutputType): boolean => String(type).replace(/!$/, '').startsWith('[');
const fieldsOf = (type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | null =>
  'getFields' in type && !('parseValue' in type) && typeof type.getFields === 'function'
    ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>) : null;

/**
 * What a list costs when its size is not given by a `first` argument; connections default to 20 items. A
 * connection's `totalCount` is the one leaf with a price: a query that reads every match's index entry.
 */
export const COST_DEFAULTS = { pageSize: 20, unboundedList: 10, introspection: 10, totalCount: 20 };

/** `perItem` is paid for every item of the list around it; `once` (a connection's totalCount) once per list. */
type Cost = { perItem: number; once: number };

export type PartnerCost = {
  points: number;
  /** The first `first` above `maxPageSize`, if any: no subgraph would answer it, so it is refused before pricing. */
  oversized?: { field: string; value: number };
};

/**
 * The static cost of an operation before it runs: every field that returns an object costs one point,
 * and what is selected under a list costs once per item the list may hold (`first` when the field takes
 * it, else the page-size default for connections and `unboundedList` for plain lists; a connection's
 * `edges` are the page already counted). Leaf fields are free, but for a connection's `totalCount`, which
 * costs `COST_DEFAULTS.totalCount` once per connection (not per item). Introspection costs a flat amount.
 * Deterministic for a given document and variables, so a partner can predict it; it overestimates (lists
 * are assumed full) rather than under.
 */
export function operationCost(
  schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {}, maxPageSize = Infinity,
): PartnerCost {
  const root = schema.getQueryType();
  if (!root) return { points: 0 };
  let oversized: PartnerCost['oversized'];

  /** `paged`: `set` is under a field that took `first`, so its lists (a connection's `edges`) are already counted. */
  function selectionCost(parent: GraphQLOutputType, set: SelectionSetNode, seen: ReadonlySet<string>, paged = false): Cost {
    const total: Cost = { perItem: 0, once: 0 };
    const named = namedOf(parent);
    const fields = fieldsOf(named);
    if (!fields) return total;
    const add = (c: Cost) => { total.perItem += c.perItem; total.once += c.once; };
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : named;
        if (on) add(selectionCost(on as GraphQLOutputType, sel.selectionSet, seen, paged));
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[sel.name.value];
        // A cycle is a validation error; stop here so the estimate itself never loops.
        if (!fragment || seen.has(sel.name.value)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (on) add(selectionCost(on as GraphQLOutputType, fragment.selectionSet, new Set([...seen, sel.name.value]), paged));
      } else {
        if (sel.name.value.startsWith('__')) {
          total.perItem += sel.name.value === '__typename' ? 0 : COST_DEFAULTS.introspection;
          continue;
        }
        if (sel.name.value === 'totalCount' && named.name.endsWith('Connection')) {
          total.once += COST_DEFAULTS.totalCount;
          continue;
        }
        const field = fields[sel.name.value];
        if (!field || !sel.selectionSet) continue;
        const firstArg = sel.arguments?.find((a) => a.name.value === 'first');
        const given: unknown = firstArg ? valueFromASTUntyped(firstArg.value, variables) : undefined;
        // `first: null` asks for the default page, like no `first`; 0 is a page of no items.
        const first = given == null ? undefined : Number(given);
        const takesFirst = field.args.some((a) => a.name === 'first');
        if (takesFirst && first !== undefined && first > maxPageSize && !oversized) oversized = { field: sel.name.value, value: first };
        const items = takesFirst ? (Number.isFinite(first) && first! >= 0 ? first! : COST_DEFAULTS.pageSize)
          : isList(field.type) && !paged ? COST_DEFAULTS.unboundedList : 1;
        const child = selectionCost(field.type, sel.selectionSet, seen, takesFirst);
        total.perItem += 1 + items * child.perItem + child.once;
      }
    }
    return total;
  }

  const total = selectionCost(root, operation.selectionSet, new Set());
  const points = total.perItem + total.once;
  return oversized ? { points, oversized } : { points };
}
