import { describe, expect, it } from 'vitest';
import { compileCondition, type Condition } from '../src/conditions.js';
import type { Row } from '../src/values.js';

const cols = ['n', 's', 'd', 'b'];
const rows: Row[] = [
  [5, 'Apple', new Date('2024-01-10T00:00:00Z'), true],
  [15, 'banana', new Date('2024-02-10T00:00:00Z'), false],
  ['25', 'Cherry pie', new Date('2024-03-10T00:00:00Z'), null],
  [null, '', null, null],
  [35, 'apple', '2024-04-10', true],
];
const ids = (c: Condition) => {
  const t = compileCondition(c).bind(cols);
  return rows.map((r, i) => (t(r) ? i : -1)).filter((i) => i >= 0);
};

describe('conditions', () => {
  it('compares numbers, including numeric text, and never matches empty cells', () => {
    expect(ids({ column: 'n', op: 'gt', value: 10 })).toEqual([1, 2, 4]);
    expect(ids({ column: 'n', op: 'lte', value: 15 })).toEqual([0, 1]);
    expect(ids({ column: 'n', op: 'between', value: [10, 30] })).toEqual([1, 2]);
  });

  it('compares text with an optional case-insensitive mode', () => {
    expect(ids({ column: 's', op: 'eq', value: 'apple' })).toEqual([4]);
    expect(ids({ column: 's', op: 'eq', value: 'apple', caseInsensitive: true })).toEqual([0, 4]);
    expect(ids({ column: 's', op: 'starts_with', value: 'ch', caseInsensitive: true })).toEqual([2]);
    expect(ids({ column: 's', op: 'contains', value: 'an' })).toEqual([1]);
    expect(ids({ column: 's', op: 'ends_with', value: 'pie' })).toEqual([2]);
    expect(ids({ column: 's', op: 'matches', value: '^[A-C]' })).toEqual([0, 2]);
    expect(ids({ column: 's', op: 'ne', value: 'apple' })).toEqual([0, 1, 2, 3]);
  });

  it('compares dates with ISO values, whether cells are dates or ISO text', () => {
    expect(ids({ column: 'd', op: 'gte', value: '2024-02-10' })).toEqual([1, 2, 4]);
    expect(ids({ column: 'd', op: 'between', value: ['2024-02-01', '2024-03-31'] })).toEqual([1, 2]);
    expect(ids({ column: 'd', op: 'lt', value: '2024-02-01', type: 'date' })).toEqual([0]);
  });

  it('handles in, not_in, booleans and emptiness', () => {
    expect(ids({ column: 'n', op: 'in', value: [5, 25] })).toEqual([0, 2]);
    expect(ids({ column: 's', op: 'not_in', value: ['Apple', 'banana'] })).toEqual([2, 3, 4]);
    expect(ids({ column: 'b', op: 'eq', value: true })).toEqual([0, 4]);
    expect(ids({ column: 's', op: 'is_empty' })).toEqual([3]);
    expect(ids({ column: 'd', op: 'is_not_empty' })).toEqual([0, 1, 2, 4]);
  });

  it('combines all, any, not and expressions', () => {
    expect(ids({ all: [{ column: 'n', op: 'gt', value: 1 }, { not: { column: 's', op: 'contains', value: 'a' } }] })).toEqual([0, 2]);
    expect(ids({ any: [{ column: 'n', op: 'eq', value: 5 }, { expression: 'len(s) > 6' }] })).toEqual([0, 2]);
  });
});
