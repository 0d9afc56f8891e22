import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createBudgets } from '../src/partner/budget.js';
import { COST_DEFAULTS, operationCost } from '../src/partner/cost.js';

const schema = buildSchema(readFileSync(new URL('../partner-schema.graphql', import.meta.url), 'utf8'));

function costOf(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const fragments = Object.fromEntries(doc.definitions
    .filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]));
  return operationCost(schema, operation, fragments, variables).points;
}

describe('operationCost', () => {
  it('charges one point per object field and nothing for leaves', () => {
    expect(costOf('{ execution(id: "x") { id status } }')).toBe(1);
    expect(costOf('{ execution(id: "x") { id progress { percent } error { code } } }')).toBe(3);
  });

  it('multiplies what is under a connection by first, or the default page size, counting edges once', () => {
    expect(costOf('{ executions(first: 10) { edges { node { id } } } }')).toBe(1 + 10 * 2);
    expect(costOf('query($n: Int) { executions(first: $n) { edges { node { id } } } }', { n: 3 })).toBe(1 + 3 * 2);
    expect(costOf('{ executions { edges { node { id } } } }')).toBe(1 + COST_DEFAULTS.pageSize * 2);
  });

  it('prices a connection\'s totalCount once per connection, and first: 0 as a page of nothing', () => {
    // Each document is one a partner can send: valid against the partner schema (where Workflow.executions takes no arguments).
    const partnerCostOf = (query: string, variables?: Record<string, unknown>) => {
      expect(validate(schema, parse(query)).map((e) => e.message), query).toEqual([]);
      return costOf(query, variables);
    };
    expect(partnerCostOf('{ executions(first: 0) { totalCount } }')).toBe(1 + COST_DEFAULTS.totalCount);
    expect(partnerCostOf('{ executions(first: 10) { totalCount edges { node { id } } } }')).toBe(1 + 10 * 2 + COST_DEFAULTS.totalCount);
    expect(partnerCostOf('{ executions(first: 0) { edges { node { id } } } }')).toBe(1);
    expect(partnerCostOf('query($n: Int) { executions(first: $n) { edges { node { id } } } }', { n: null })).toBe(1 + COST_DEFAULTS.pageSize * 2);
    expect(partnerCostOf('{ workflows(first: 3) { edges { node { executions { totalCount } } } } }'))
      .toBe(1 + 3 * (1 + (1 + (1 + COST_DEFAULTS.totalCount))));
  });

  it('prices docs/partner-api.md\'s example at 26 points, and 46 with totalCount (the note of 2026-12-01)', () => {
    const example = (extra: string) => `{ executions(first: 5, filter: {status: SUCCEEDED}) { ${extra} edges { node { id status finishedAt
      artifacts { name size sha256 downloadUrl } deliveries { status } } } pageInfo { hasNextPage endCursor } } }`;
    for (const query of [example(''), example('totalCount')]) expect(validate(schema, parse(query))).toEqual([]);
    expect(costOf(example(''))).toBe(26);
    expect(costOf(example('totalCount'))).toBe(26 + COST_DEFAULTS.totalCount);
  });

  it('multiplies plain lists by the unbounded-list estimate, nested ones again', () => {
    expect(costOf('{ execution(id: "x") { artifacts { id } } }')).toBe(1 + 1 * (1 + COST_DEFAULTS.unboundedList * 0));
    expect(costOf('{ execution(id: "x") { deliveries { attempts { at } } } }')).toBe(1 + (1 + COST_DEFAULTS.unboundedList * 1));
  });

  it('counts fragments as their fields, and introspection at a flat rate', () => {
    const plain = costOf('{ executions(first: 2) { edges { node { id progress { percent } } } } }');
    expect(costOf('{ executions(first: 2) { edges { node { ...F } } } } fragment F on Execution { id progress { percent } }')).toBe(plain);
    expect(costOf('{ executions(first: 2) { edges { node { ... on Execution { id progress { percent } } } } } }')).toBe(plain);
    expect(costOf('{ __schema { types { name } } }')).toBe(COST_DEFAULTS.introspection);
    expect(costOf('{ execution(id: "x") { __typename } }')).toBe(1);
  });
});

describe('page sizes', () => {
  it('reports the first `first` above the largest page, and none within it', () => {
    const doc = parse('query($n: Int) { executions(first: 100) { edges { node { id } } } deliveries(first: $n) { edges { node { id } } } }');
    const operation = doc.definitions[0] as OperationDefinitionNode;
    expect(operationCost(schema, operation, {}, { n: 150 }, 100).oversized).toEqual({ field: 'deliveries', value: 150 });
    expect(operationCost(schema, operation, {}, { n: 100 }, 100).oversized).toBeUndefined();
  });
});

describe('budgets', () => {
  it('admit what fits, refuse what does not without spending it, and start over each window', () => {
    let now = 1_000;
    const budgets = createBudgets({ points: 10, windowMs: 100, now: () => now });
    expect(budgets.charge('k', 6)).toMatchObject({ ok: true, remaining: 4, resetAt: new Date(1_100) });
    expect(budgets.charge('k', 5)).toMatchObject({ ok: false, remaining: 4 });
    expect(budgets.charge('other', 10)).toMatchObject({ ok: true, remaining: 0 });
    expect(budgets.charge('k', 4)).toMatchObject({ ok: true, remaining: 0 });
    now = 1_100;
    expect(budgets.charge('k', 5)).toMatchObject({ ok: true, remaining: 5, resetAt: new Date(1_200) });
  });
});
