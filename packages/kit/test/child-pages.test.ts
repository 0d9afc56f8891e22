import { describe, expect, it } from 'vitest';
import { childCounts, childPageIds } from '../src/index.js';

const RUNS = { schema: 'executions', table: 'executions', parent: 'workflow_id' };

describe('childPageIds', () => {
  it('reads first + 1 ids of each parent after the cursor, in the order asked', () => {
    const newest = childPageIds(RUNS, 't', ['a', 'b'], { first: 5, afterId: 'c' }, 'desc');
    expect(newest.sql).toMatch(/"x"\."id" < \?\s+order by "x"\."id" desc limit \?/);
    expect(newest.params).toEqual([['a', 'b'], 't', 'c', 6]);
    const oldest = childPageIds(RUNS, 't', ['a'], { first: 0 }, 'asc');
    expect(oldest.sql).not.toMatch(/"x"\."id" [<>]/);
    expect(oldest.sql).toMatch(/order by "x"\."id" asc limit \?/);
    expect(oldest.params).toEqual([['a'], 't', 1]);
  });

  it('refuses a table or column that is not a plain identifier', () => {
    expect(() => childPageIds({ ...RUNS, parent: 'workflow_id" or 1=1 --' }, 't', [], { first: 1 }, 'asc')).toThrow(/identifier/);
    expect(() => childCounts({ ...RUNS, table: 'Executions' }, 't', [])).toThrow(/identifier/);
  });
});
