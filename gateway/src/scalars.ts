import type { ApolloGateway } from '@apollo/gateway';
import {
  GraphQLError, Kind, print,
  type ASTNode, type ASTVisitor, type GraphQLInputType, type GraphQLScalarType, type GraphQLSchema, type ValidationRule, type ValueNode,
} from 'graphql';
import { GraphQLDateTimeISO, GraphQLJSON, GraphQLSafeInt } from 'graphql-scalars';
import { badInput, type Logger } from '@rowline/kit';

/**
 * The definitions the subgraphs give the supergraph's custom scalars (type-graphql's `DateTimeISO` is
 * graphql-scalars' `GraphQLDateTimeISO`). A schema built from the supergraph's SDL knows only their names
 * and accepts any value for them: a bad one then passed the gateway, failed the subgraph's own coercion
 * (an HTTP 400 that Apollo Gateway reports as an internal error) and reached the client as "Internal
 * server error". With the same definitions the gateway refuses exactly what a subgraph would, before any
 * subgraph is called, instead of matching the subgraphs' error messages afterwards.
 */
export const SUBGRAPH_SCALARS: Readonly<Record<string, GraphQLScalarType>> = {
  SafeInt: GraphQLSafeInt, DateTimeISO: GraphQLDateTimeISO, JSON: GraphQLJSON,
};
const BUILT_IN = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);

/** The custom scalars of a schema that SUBGRAPH_SCALARS has no definition for: their input is not checked. */
export function uncheckedScalars(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap())
    .filter((t) => 'parseLiteral' in t && !('getValues' in t) && !BUILT_IN.has(t.name) && !t.name.startsWith('__') && !SUBGRAPH_SCALARS[t.name])
    .map((t) => t.name);
}

/**
 * Variables: before planning, Apollo Gateway coerces them against its schema (graphql's
 * `getVariableValues`), so the schema's scalars get the subgraphs' `parseValue`. A bad value then fails
 * like a bad Int does: graphql's message names the variable and the place inside it
 * (`Variable "$i" got invalid value 1.5 at "i.size"; ...`) and Apollo answers 400 `BAD_USER_INPUT`.
 * `parseLiteral` stays as it is: literals are `scalarLiteralsRule`'s (see there why).
 */
export function checkScalarVariables(gateway: ApolloGateway, logger: Logger): void {
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    for (const [name, definition] of Object.entries(SUBGRAPH_SCALARS)) {
      const type = apiSchema.getType(name) as GraphQLScalarType | undefined;
      if (type) type.parseValue = definition.parseValue;
    }
    const unchecked = uncheckedScalars(apiSchema);
    if (unchecked.length) logger.error({ scalars: unchecked }, 'the gateway has no definition for these scalars: add them to SUBGRAPH_SCALARS');
  });
}

const LITERALS = new Set<string>([Kind.INT, Kind.FLOAT, Kind.STRING, Kind.BOOLEAN, Kind.ENUM, Kind.LIST, Kind.OBJECT]);

/**
 * Literals: checked by this rule, during validation, with the subgraphs' `parseLiteral`. Giving the
 * schema's scalars that `parseLiteral` instead would make graphql's ValuesOfCorrectTypeRule report a bare
 * "SafeInt cannot represent non-integer value: 1.5" as GRAPHQL_VALIDATION_FAILED; this rule answers
 * `BAD_USER_INPUT` naming the field and argument, as a bad variable does.
 */
export const scalarLiteralsRule: ValidationRule = (context): ASTVisitor => ({
  enter(node, _key, parent, _path, ancestors) {
    if (!LITERALS.has(node.kind)) return undefined;
    // graphql's TypeInfo has already stepped into a list literal (its input type is the item type): what
    // the list stands for is the parent's. For a list type, the items are visited next, one by one.
    const type = node.kind === Kind.LIST ? context.getParentInputType() : context.getInputType();
    if (!type || (node.kind === Kind.LIST && isList(type))) return undefined;
    const scalar = SUBGRAPH_SCALARS[namedOf(type).name];
    if (!scalar) return undefined;
    try {
      // Undefined means "not a value of this type" too, as graphql's ValuesOfCorrectTypeRule reads it.
      if (scalar.parseLiteral(node as ValueNode, undefined) === undefined) throw new Error(`${scalar.name} cannot represent ${print(node)}`);
    } catch (err) {
      // graphql's visitor passes the direct parent apart from the other ancestors.
      const { where, details } = placeOf([...ancestors, parent, node].filter(isNode));
      const message = `${where} got invalid value ${print(node)}; ${(err as Error).message}`;
      context.reportError(new GraphQLError(message, { nodes: node, originalError: badInput(message, details) }));
    }
    // What is inside a scalar's literal (a JSON object's fields) is the scalar's own business.
    return false;
  },
});

// Duck-typed on purpose, like limits/cost.ts: the schema comes from Apollo Gateway's (CommonJS) copy of
// graphql, whose types graphql's own predicates refuse as foreign.
const isList = (type: GraphQLInputType): boolean => String(type).replace(/!$/, '').startsWith('[');
function namedOf(type: GraphQLInputType): { name: string } {
  let t: any = type;
  while (t.ofType) t = t.ofType;
  return t;
}
const isNode = (value: unknown): value is ASTNode => typeof value === 'object' && value !== null && 'kind' in value;

/** Where in the operation a literal sits: `Argument "input.size" of createUpload`, or a variable's default. */
function placeOf(chain: ASTNode[]): { where: string; details: Record<string, unknown> } {
  const start = chain.findLastIndex((n) => n.kind === Kind.ARGUMENT || n.kind === Kind.VARIABLE_DEFINITION);
  const owner = chain[start];
  let path = '';
  for (let i = start + 1; i < chain.length; i++) {
    const n = chain[i]!;
    if (n.kind === Kind.OBJECT_FIELD) path += `.${n.name.value}`;
    if (n.kind === Kind.LIST && chain[i + 1]) path += `[${n.values.indexOf(chain[i + 1] as ValueNode)}]`;
  }
  if (owner?.kind === Kind.VARIABLE_DEFINITION) {
    const variable = owner.variable.name.value;
    return { where: `The default value of "$${variable}${path}"`, details: { variable } };
  }
  const parent = chain[start - 1];
  const field = parent?.kind === Kind.FIELD ? parent.name.value : undefined;
  const argument = `${owner?.kind === Kind.ARGUMENT ? owner.name.value : ''}${path}`;
  return { where: `Argument "${argument}"${field ? ` of ${field}` : ''}`, details: { argument, ...(field ? { field } : {}) } };
}
