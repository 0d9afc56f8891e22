import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createCostBudget } from '../src/limits/budget.js';
import { estimateCost, TOTAL_COUNT_COST } from '../src/limits/cost.js';

const schema = buildSchema(`
  type Query { items(first: Int, after: String): ItemConnection! item(id: ID!): Item itemsByIds(ids: [ID!]!): [Item]! logs(limit: Int! = 200): [String!]! tags: [String!]! }
  type ItemConnection { edges: [ItemEdge!]! totalCount: Int }
  type ItemEdge { node: Item! }
  type Item { id: ID! name: String! children(first: Int): ItemConnection! }
`);

function cost(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return estimateCost(schema, operation, fragments, variables, 100);
}

describe('the static cost estimate', () => {
  it('counts each field once and ignores __typename', () => {
    expect(cost('{ item(id: "1") { id name __typename } tags }').cost).toBe(4);
  });

  it('multiplies a connection\'s selection by its page size, from a literal or a variable', () => {
    expect(cost('{ items(first: 10) { edges { node { id } } } }').cost).toBe(1 + 10 * 3);
    expect(cost('query($n: Int) { items(first: $n) { edges { node { id } } } }', { n: 50 }).cost).toBe(1 + 50 * 3);
    expect(cost('{ items(first: 0) { edges { node { id } } } }').cost).toBe(1);
  });

  it('assumes the default page of 20 when a connection has no first, and a limit\'s default otherwise', () => {
    expect(cost('{ items { edges { node { id } } } }').cost).toBe(1 + 20 * 3);
    expect(cost('{ logs }').cost).toBe(1);
    expect(cost('{ items { edges { node { children(first: 5) { edges { node { id } } } } } } }').cost).toBe(1 + 20 * (1 + (1 + (1 + 5 * 3))));
  });

  it('prices totalCount as a default page, once per connection whatever its page size', () => {
    expect(TOTAL_COUNT_COST).toBe(20);
    expect(cost('{ items { totalCount } }').cost).toBe(1 + 20);
    expect(cost('query($n: Int) { items(first: $n) { totalCount } }', { n: 50 }).cost).toBe(1 + 20);
    expect(cost('{ items(first: 0) { totalCount } }').cost).toBe(1 + 20);
    expect(cost('{ items(first: 2) { totalCount edges { node { id } } } }').cost).toBe(1 + 2 * 3 + 20);
    expect(cost('{ items(first: 2) { ...C } } fragment C on ItemConnection { totalCount }').cost).toBe(1 + 20);
    // Nested, it is counted once per item of the list around it: one count query per parent.
    expect(cost('{ items(first: 5) { edges { node { children(first: 0) { totalCount } } } } }').cost).toBe(1 + 5 * (1 + (1 + (1 + 20))));
  });

  it('multiplies a list by ids\' selection by how many ids it is given, from a literal or a variable', () => {
    expect(cost('{ itemsByIds(ids: ["1", "2", "3"]) { id name } }').cost).toBe(1 + 3 * 2);
    expect(cost('query($ids: [ID!]!) { itemsByIds(ids: $ids) { id children(first: 2) { edges { node { id } } } } }', { ids: ['1', '2'] }).cost).toBe(1 + 2 * (1 + (1 + 2 * 3)));
    // A single id given for the list is a list of one (input coercion); none at all answers nothing.
    expect(cost('query($ids: [ID!]!) { itemsByIds(ids: $ids) { id } }', { ids: '1' }).cost).toBe(1 + 1);
    expect(cost('{ itemsByIds(ids: []) { id name } }').cost).toBe(1);
  });

  it('counts fragments and inline fragments where they are spread', () => {
    expect(cost('{ item(id: "1") { ...F ... on Item { name } } } fragment F on Item { id name }').cost).toBe(1 + 3);
  });

  it('reports a first above the maximum page size, and only first/last', () => {
    expect(cost('{ items(first: 101) { totalCount } }').oversized).toEqual({ field: 'items', argument: 'first', value: 101 });
    expect(cost('query($n: Int) { item(id: "1") { children(first: $n) { totalCount } } }', { n: 1000 }).oversized?.value).toBe(1000);
    expect(cost('{ logs(limit: 500) }').oversized).toBeUndefined();
  });
});

describe('the cost budget', () => {
  it('spends per key within a minute and refuses what does not fit, spending nothing', () => {
    let now = 120_000;
    const budget = createCostBudget(10, () => now);
    expect(budget.charge('a', 6)).toMatchObject({ allowed: true, remaining: 4 });
    expect(budget.charge('a', 5)).toMatchObject({ allowed: false, remaining: 4 });
    expect(budget.charge('a', 4)).toMatchObject({ allowed: true, remaining: 0 });
    expect(budget.charge('b', 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect(budget.charge('a', 1).resetAt.getTime()).toBe(180_000);
    now = 180_000;
    expect(budget.charge('a', 10)).toMatchObject({ allowed: true, remaining: 0 });
  });
});
