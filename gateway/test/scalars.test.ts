import { readFileSync } from 'node:fs';
import { buildASTSchema, buildSchema, parse, validate, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { scalarLiteralsRule, uncheckedScalars } from '../src/scalars.js';

const api = buildSchema(readFileSync(new URL('../partner-schema.graphql', import.meta.url), 'utf8'));

const refusals = (query: string) => validate(api, parse(query), [scalarLiteralsRule])
  .map((e: GraphQLError) => ({ message: e.message, details: (e.originalError as { details?: unknown } | undefined)?.details }));

describe('the gateway\'s custom scalars', () => {
  it('have a definition for every custom scalar of the supergraph and of the partner contract', () => {
    const supergraph = readFileSync(new URL('../supergraph.graphql', import.meta.url), 'utf8');
    // The API schema's custom scalars: the supergraph's own (join__, link__) are the gateway's business.
    const own = supergraph.match(/^scalar (?!join__|link__)\w+/gm)!.join('\n');
    expect(uncheckedScalars(buildASTSchema(parse(own)))).toEqual([]);
    expect(uncheckedScalars(api)).toEqual([]);
    expect(uncheckedScalars(buildSchema('scalar Money type Query { a: Money }'))).toEqual(['Money']);
  });

  it('refuse a bad literal naming where it sits: argument, input field, variable default', () => {
    expect(refusals('{ executions(filter: { from: "yesterday" }) { edges { cursor } } }')).toEqual([{
      message: 'Argument "filter.from" of executions got invalid value "yesterday"; DateTime cannot represent an invalid date-time-string yesterday.',
      details: { argument: 'filter.from', field: 'executions' },
    }]);
    expect(refusals('query($f: ExecutionFilterInput = { to: 12 }) { executions(filter: $f) { edges { cursor } } }')).toMatchObject([{
      message: expect.stringMatching(/^The default value of "\$f\.to" got invalid value 12; /), details: { variable: 'f' },
    }]);
  });

  it('accept good literals, and leave variables to the gateway\'s coercion', () => {
    expect(refusals('query($d: DateTimeISO) { a: executions(filter: { from: "2026-01-01T00:00:00Z", to: $d }) { edges { cursor } } }')).toEqual([]);
  });
});

describe('list items of a custom scalar', () => {
  const schema = buildSchema('scalar SafeInt scalar JSON type Query { sum(of: [SafeInt!]!, meta: JSON): Int }');
  const check = (query: string) => validate(schema, parse(query), [scalarLiteralsRule]).map((e) => e.message);

  it('are checked one by one, and a lone value stands for a list of one', () => {
    expect(check('{ sum(of: [1, 2.5]) }')).toEqual(['Argument "of[1]" of sum got invalid value 2.5; SafeInt cannot represent non-integer value: 2.5']);
    expect(check('{ sum(of: "x") }')).toEqual(['Argument "of" of sum got invalid value "x"; SafeInt cannot represent non-integer value: "x"']);
    expect(check('{ sum(of: [1, 2], meta: { a: [1, "b", { c: null }] }) }')).toEqual([]);
    expect(check('{ sum(of: [1], meta: ENUM_LIKE) }')).toEqual(['Argument "meta" of sum got invalid value ENUM_LIKE; JSON cannot represent ENUM_LIKE']);
  });
});
