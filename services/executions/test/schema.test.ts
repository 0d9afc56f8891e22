import { printSubgraphSchema } from '@apollo/subgraph';
import { describe, expect, it } from 'vitest';
import { buildExecutionsSchema } from '../src/index.js';

const neverCalled = new Proxy({}, { get: () => () => { throw new Error('not called while printing the schema'); } });

describe('the executions subgraph schema', () => {
  it('declares Workflow as an entity with its executions, so the gateway can add runs to a workflow', async () => {
    const sdl = printSubgraphSchema(await buildExecutionsSchema({ domain: neverCalled as never, cancel: neverCalled as never }));
    const workflow = /type Workflow @key\(fields: "id"\) \{([^}]*)\}/.exec(sdl);
    expect(workflow).not.toBeNull();
    expect(workflow![1]).toMatch(/executions\([^)]*first: Int[^)]*\): ExecutionConnection!/);
  });
});
