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

/** What a list costs when its size is not given by a `first` argument; connections default to 20 items. */
export const COST_DEFAULTS = { pageSize: 20, unboundedList: 10, introspection: 10 };

export type PartnerCost = {
  points: number;
  /** The first `first` above `maxPageSize`, if any: no subgraph would answer it, so it is refused before pricing. */
  oversized?: { field: string; value: number };
};

/**
 * The static cost of an operation before it runs: every field that returns an object costs one point,
 * and what is selected under a list costs once per item the list may hold (`first` when the field takes
 * it, else the page-size default for connections and `unboundedList` for plain lists; a connection's
 * `edges` are the page already counted). Leaf fields are
 * free. Introspection costs a flat amount. Deterministic for a given document and variables, so a
 * partner can predict it; it overestimates (lists are assumed full) rather than under.
 */
export function operationCost(
  schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {}, maxPageSize = Infinity,
): PartnerCost {
  const root = schema.getQueryType();
  if (!root) return { points: 0 };
  let oversized: PartnerCost['oversized'];

  /** `paged`: `set` is under a field that took `first`, so its lists (a connection's `edges`) are already counted. */
  function selectionCost(parent: GraphQLOutputType, set: SelectionSetNode, seen: ReadonlySet<string>, paged = false): number {
    const named = namedOf(parent);
    const fields = fieldsOf(named);
    if (!fields) return 0;
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : named;
        total += on ? selectionCost(on as GraphQLOutputType, sel.selectionSet, seen, paged) : 0;
      } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[sel.name.value];
        // A cycle is a validation error; stop here so the estimate itself never loops.
        if (!fragment || seen.has(sel.name.value)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        total += on ? selectionCost(on as GraphQLOutputType, fragment.selectionSet, new Set([...seen, sel.name.value]), paged) : 0;
      } else {
        if (sel.name.value.startsWith('__')) {
          total += sel.name.value === '__typename' ? 0 : COST_DEFAULTS.introspection;
          continue;
        }
        const field = fields[sel.name.value];
        if (!field || !sel.selectionSet) continue;
        const firstArg = sel.arguments?.find((a) => a.name.value === 'first');
        const first = firstArg ? Number(valueFromASTUntyped(firstArg.value, variables)) : undefined;
        const takesFirst = field.args.some((a) => a.name === 'first');
        if (takesFirst && first !== undefined && first > maxPageSize && !oversized) oversized = { field: sel.name.value, value: first };
        const items = takesFirst ? (Number.isFinite(first) && first! > 0 ? first! : COST_DEFAULTS.pageSize)
          : isList(field.type) && !paged ? COST_DEFAULTS.unboundedList : 1;
        total += 1 + items * selectionCost(field.type, sel.selectionSet, seen, takesFirst);
      }
    }
    return total;
  }

  const points = selectionCost(root, operation.selectionSet, new Set());
  return oversized ? { points, oversized } : { points };
}
