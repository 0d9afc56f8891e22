import {
  executeSync, getArgumentValues, getOperationAST, Kind, parse, print, visit, GraphQLError,
  type DocumentNode, type ExecutionResult, type FieldNode, type FragmentDefinitionNode, type GraphQLFieldResolver,
  type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import { isUuid } from '@rowline/kit';
import { estimateCost } from '../limits/cost.js';
import type { UpdateEvent } from './events.js';

/**
 * The variable that carries the runs' ids into the query the gateway runs for a subscriber: one query reads
 * the state of every run whose updates wait for the same subscribers (`executionsByIds`, one row read for all).
 */
export const EXECUTION_IDS_VARIABLE = 'rowlineExecutionIds_';
/**
 * An extra root field of that query: the runs' status, so a subscription knows when a run is over, and their
 * event sequence, which a snapshot carries (read with the subscriber's selection, in the same row read).
 */
export const STATUS_KEY = 'rowlineStatus_';

export type SubscriptionField = 'executionUpdated' | 'executionEvents';

/**
 * A subscription operation compiled once: which field, its arguments, and the query that resolves the
 * subscriber's `execution` selections (aliases, fragments and all) through the gateway for a list of runs:
 * each root field of the query answers a list, one item per run, in the order of the ids given.
 */
export type SubscriptionPlan = {
  field: SubscriptionField;
  /** The root field's key in the subscriber's results (its alias, else its name). */
  responseKey: string;
  args: Record<string, unknown>;
  query: string;
  /** The subscriber's variables that the query uses (the runs' ids are added per resolution). */
  queryVariables: Record<string, unknown>;
  /** The query's estimated cost (the gateway's cost limit prices it): `fixed`, plus `perRun` for each run it reads. */
  cost: { fixed: number; perRun: number };
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string;
  variableValues: Record<string, unknown>;
};

export function compileSubscription(
  schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variableValues: Record<string, unknown>,
): SubscriptionPlan | GraphQLError {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'subscription') return new GraphQLError('Not a subscription operation');
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  // Clients such as Apollo Client may add `__typename` beside the one real field.
  const rootField = fieldsOf(operation.selectionSet, fragments).find((f) => !f.name.value.startsWith('__'));
  const subscriptionType = schema.getSubscriptionType();
  const fieldDef = rootField && subscriptionType?.getFields()[rootField.name.value];
  if (!rootField || !fieldDef) return new GraphQLError('Unknown subscription field');
  const args = getArgumentValues(fieldDef, rootField, variableValues);

  // Every `execution` field under the root (however nested in fragments) becomes one root field of the
  // query, under the same response key, so the gateway's answer has exactly the subscriber's shape.
  const executionFields = rootField.selectionSet ? fieldsOf(rootField.selectionSet, fragments).filter((f) => f.name.value === 'execution') : [];
  const parts = executionFields.map((f) => `${(f.alias ?? f.name).value}: executionsByIds(ids: $${EXECUTION_IDS_VARIABLE}) ${f.selectionSet ? print(withTypename(f.selectionSet)) : ''}`);
  const used = new Set<string>();
  const usedVariables = new Set<string>();
  for (const f of executionFields) if (f.selectionSet) collect(f.selectionSet, fragments, used, usedVariables);
  const declared = (operation.variableDefinitions ?? []).filter((v) => usedVariables.has(v.variable.name.value));
  const query = [
    `query RowlineSubscription($${EXECUTION_IDS_VARIABLE}: [ID!]!${declared.map((v) => `, ${print(v)}`).join('')}) {`,
    `  ${STATUS_KEY}: executionsByIds(ids: $${EXECUTION_IDS_VARIABLE}) { status eventSequence }`,
    ...parts.map((p) => `  ${p}`),
    '}',
    ...[...used].map((name) => print(withTypename(fragments.get(name)!))),
  ].join('\n');
  const queryVariables: Record<string, unknown> = {};
  for (const v of declared) if (v.variable.name.value in variableValues) queryVariables[v.variable.name.value] = variableValues[v.variable.name.value];
  return {
    field: fieldDef.name as SubscriptionField, responseKey: (rootField.alias ?? rootField.name).value, args, query, queryVariables,
    cost: costModel(schema, query, queryVariables), schema, document, operationName, variableValues,
  };
}

/**
 * Arguments the subgraphs would refuse in a query, refused here the same way: a feed filtered by a malformed
 * workflow id would otherwise be accepted and never deliver, while `executions(filter: {workflowId: "nope"})`
 * answers BAD_USER_INPUT. The error is the query's, word for word (code, message, `field`, and the
 * `serviceName` of the service whose rule it is, as an unknown run's NOT_FOUND carries it), at the
 * subscription's field. (A malformed `executionUpdated` id needs nothing here: its snapshot query answers NOT_FOUND, as
 * `execution(id:)` does.)
 */
export function argumentError(plan: SubscriptionPlan): GraphQLError | undefined {
  if (plan.field !== 'executionEvents') return undefined;
  const workflowId = (plan.args.filter as { workflowId?: string | null } | null | undefined)?.workflowId;
  if (workflowId == null || isUuid(workflowId)) return undefined;
  return new GraphQLError('workflowId is not a valid id', { path: [plan.responseKey], extensions: { field: 'workflowId', code: 'BAD_USER_INPUT', serviceName: 'executions' } });
}

/**
 * The query's cost as the gateway's cost limit estimates it, as `fixed + perRun * runs`: every root field
 * costs 1, and its selection once per id (limits/cost.ts prices a list of `ids` by its length).
 */
function costModel(schema: GraphQLSchema, query: string, queryVariables: Record<string, unknown>): SubscriptionPlan['cost'] {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const costFor = (runs: number) => estimateCost(schema, operation, fragments, { ...queryVariables, [EXECUTION_IDS_VARIABLE]: Array(runs).fill('') }, Infinity).cost;
  const one = costFor(1);
  const perRun = costFor(2) - one;
  return { fixed: one - perRun, perRun };
}

/** How many runs one resolution of the plan may read within `maxCost`: at least one, so that no run is left unresolved. */
export function runsWithin(plan: SubscriptionPlan, maxCost: number): number {
  return plan.cost.perRun > 0 ? Math.max(1, Math.floor((maxCost - plan.cost.fixed) / plan.cost.perRun)) : Infinity;
}

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>;
};

/**
 * One run's part of the answer to the plan's query: item `index` of each root field's list, with the errors
 * at that item (their path without the index) and those about the whole query, which are every run's.
 */
export function answerOf<A extends Answer>(answer: A, index: number): Answer {
  const data = answer.data && Object.fromEntries(Object.entries(answer.data).map(([key, list]) => [key, Array.isArray(list) ? (list[index] ?? null) : null]));
  const errors = answer.errors?.flatMap((e) => {
    const at = e.path?.[1];
    if (typeof at !== 'number') return [e];
    return at === index ? [{ ...e, path: [e.path![0]!, ...e.path!.slice(2)] }] : [];
  });
  return { data, errors: errors?.length ? errors : undefined };
}

/**
 * The path of an error of the plan's query (of one run's part: see answerOf), in the subscriber's result: each `execution` root field of the
 * query is the subscriber's `execution` under the same key, one level below the subscription's root field;
 * STATUS_KEY is internal, and its failure (the run is unknown) is the subscription's own.
 */
export function subscriberPath(plan: SubscriptionPlan, path: ReadonlyArray<string | number> | undefined): Array<string | number> | undefined {
  if (!path?.length) return path && [...path];
  return path[0] === STATUS_KEY ? [plan.responseKey] : [plan.responseKey, ...path];
}

/** The fields a selection set selects, fragments flattened (their conditions hold: validation checked them). */
function fieldsOf(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): FieldNode[] {
  const out: FieldNode[] = [];
  for (const s of selectionSet.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) out.push(...fieldsOf(s.selectionSet, fragments, seen));
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const f = fragments.get(s.name.value);
      if (f) out.push(...fieldsOf(f.selectionSet, fragments, seen));
    }
  }
  return out;
}

/** Fragments the selection uses (transitively) and the variables it references. */
function collect(node: SelectionSetNode | FragmentDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, used: Set<string>, variables: Set<string>): void {
  visit(node, {
    Variable: (v) => { variables.add(v.name.value); },
    FragmentSpread: (s) => {
      if (used.has(s.name.value)) return;
      used.add(s.name.value);
      const f = fragments.get(s.name.value);
      if (f) collect(f, fragments, used, variables);
    },
  });
}

/** Asks for `__typename` everywhere, so abstract types resolve when the answer is replayed. */
function withTypename<T extends SelectionSetNode | FragmentDefinitionNode>(node: T): T {
  return visit(node, {
    SelectionSet: (set) => (set.selections.some((s) => s.kind === Kind.FIELD && !s.alias && s.name.value === '__typename')
      ? undefined
      : { ...set, selections: [...set.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] }),
  });
}

type RenderContext = { data: Record<string, unknown>; event: UpdateEvent };

/**
 * Fields below the root read the gateway's answer by response key (alias), since it was produced by the
 * same selections; `event` comes from the bus.
 */
const replay: GraphQLFieldResolver<any, RenderContext> = (source, _args, ctx, info) => {
  switch (info.parentType.name) {
    case 'Subscription': return {};
    case 'ExecutionUpdate': return info.fieldName === 'execution' ? ctx.data[info.path.key as string] : ctx.event;
    case 'ExecutionUpdateEvent': return source[info.fieldName];
    default: return source?.[info.path.key];
  }
};

/** The subscriber's result for one event, from the gateway's answer to the plan's query. */
export function render(plan: SubscriptionPlan, data: Record<string, unknown>, event: UpdateEvent): ExecutionResult {
  return executeSync({
    schema: plan.schema, document: plan.document, operationName: plan.operationName, variableValues: plan.variableValues,
    contextValue: { data, event } satisfies RenderContext, fieldResolver: replay,
  });
}
