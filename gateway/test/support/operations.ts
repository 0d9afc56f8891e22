import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildSchema, getNamedType, isCompositeType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';

/** The composed supergraph the gateway serves, read from the checked-in file: new fields show up here first. */
export function loadSupergraphSchema(): GraphQLSchema {
  const path = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));
  return buildSchema(readFileSync(path, 'utf8'), { assumeValidSDL: true });
}

const inaccessible = (node: { astNode?: { directives?: ReadonlyArray<{ name: { value: string } }> } | null }) =>
  !!node.astNode?.directives?.some((d) => d.name.value === 'inaccessible');

export type RootField = { root: 'Query' | 'Mutation'; name: string; field: GraphQLField<unknown, unknown> };

/** Every client-visible Query and Mutation field. */
export function rootFields(schema: GraphQLSchema): RootField[] {
  const out: RootField[] = [];
  for (const root of ['Query', 'Mutation'] as const) {
    const type = root === 'Query' ? schema.getQueryType() : schema.getMutationType();
    for (const field of Object.values(type?.getFields() ?? {})) if (!inaccessible(field)) out.push({ root, name: field.name, field });
  }
  return out;
}

/** A readable key for a field's argument path, e.g. `Mutation.attachDestination(input.workflowId)`. */
export const argKey = (f: RootField, path: string[]) => `${f.root}.${f.name}(${path.join('.')})`;

const idLike = (name: string, type: GraphQLInputType) => getNamedType(type).name === 'ID' || /Id$/.test(name);

/** The argument paths of a field that name an object by id: ID arguments (lists of ids too) and input fields ending in Id. */
export function idArgPaths(f: RootField): string[][] {
  const paths: string[][] = [];
  const walk = (name: string, type: GraphQLInputType, path: string[], depth: number) => {
    const named = getNamedType(type);
    if (isInputObjectType(named) && depth < 3) {
      for (const inner of Object.values(named.getFields())) walk(inner.name, inner.type, [...path, inner.name], depth + 1);
    } else if (idLike(name, type)) {
      paths.push(path);
    }
  };
  for (const arg of f.field.args) walk(arg.name, arg.type, [arg.name], 0);
  return paths;
}

/** Every argument path (at any depth) whose name mentions a tenant. */
export function tenantArgPaths(f: RootField): string[][] {
  const paths: string[][] = [];
  const walk = (name: string, type: GraphQLInputType, path: string[], depth: number) => {
    if (/tenant/i.test(name)) paths.push(path);
    const named = getNamedType(type);
    if (isInputObjectType(named) && depth < 3) for (const inner of Object.values(named.getFields())) walk(inner.name, inner.type, [...path, inner.name], depth + 1);
  };
  for (const arg of f.field.args) walk(arg.name, arg.type, [arg.name], 0);
  return paths;
}

/**
 * A value of `type` that passes GraphQL validation: required input fields filled in, random UUIDs for ids, the
 * last value of an enum (the least powerful role, so a sample never asks for OWNER powers by accident).
 */
export function sampleValue(type: GraphQLInputType): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sampleValue(inner.ofType as GraphQLInputType)];
  if (isEnumType(inner)) { const values = inner.getValues(); return values[values.length - 1]!.value; }
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, sampleValue(f.type)]));
  }
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'ID': return randomUUID();
      case 'Int': case 'SafeInt': case 'Float': return 1;
      case 'Boolean': return false;
      case 'JSON': case 'JSONObject': return {};
      case 'DateTime': case 'DateTimeISO': return new Date().toISOString();
      default: return 'x';
    }
  }
  throw new Error(`no sample for ${String(inner)}`);
}

/** Sample values for every required argument of a field. */
export const sampleArgs = (f: RootField): Record<string, unknown> =>
  Object.fromEntries(f.field.args.filter((a) => isNonNullType(a.type)).map((a) => [a.name, sampleValue(a.type)]));

/**
 * Sets `value` at `path` inside `args`, creating the (sampled) input objects on the way. A list on the way (an
 * input field such as `files: [RunFileInput!]`) gets one sampled item, and the value goes into that item.
 */
export function withArg(f: RootField, args: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(args);
  const arg = f.field.args.find((a) => a.name === path[0])!;
  // A list of ids (`executionsByIds(ids:)`) gets the id as its one item.
  if (path.length === 1) { copy[path[0]!] = isListType(isNonNullType(arg.type) ? arg.type.ofType : arg.type) ? [value] : value; return copy; }
  const itemOf = (holder: Record<string, unknown>, key: string, type: GraphQLInputType): Record<string, unknown> => {
    const inner = isNonNullType(type) ? type.ofType : type;
    if (isListType(inner)) {
      const list = (holder[key] ??= [sampleValue(inner.ofType as GraphQLInputType)]) as Array<Record<string, unknown>>;
      return list[0]!;
    }
    return (holder[key] ??= sampleValue(type)) as Record<string, unknown>;
  };
  let target = itemOf(copy, path[0]!, arg.type);
  let type = getNamedType(arg.type);
  for (const key of path.slice(1, -1)) {
    const field = isInputObjectType(type) ? type.getFields()[key] : undefined;
    if (!field) { target = (target[key] ??= {}) as Record<string, unknown>; continue; }
    target = itemOf(target, key, field.type);
    type = getNamedType(field.type);
  }
  target[path[path.length - 1]!] = value;
  return copy;
}

/** A document calling just this field with `$`-variables for the given arguments, selecting `__typename`. */
export function operationFor(f: RootField, args: Record<string, unknown>): string {
  const used = f.field.args.filter((a: GraphQLArgument) => a.name in args);
  const defs = used.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = used.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isCompositeType(getNamedType(f.field.type)) ? ' { __typename }' : '';
  const keyword = f.root === 'Query' ? 'query' : 'mutation';
  return `${keyword}${defs ? `(${defs})` : ''} { ${f.name}${call ? `(${call})` : ''}${selection} }`;
}
