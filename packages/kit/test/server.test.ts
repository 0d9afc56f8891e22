import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createInternalTokens, createLogger, createServiceServer, operationLabel } from '@rowline/kit';

const base = { logger: createLogger({ service: 't', level: 'silent' }), tokens: createInternalTokens('s'.repeat(40)) };

describe('the service server', () => {
  it('keeps Node\'s request timeout unless a service raises it for long uploads', async () => {
    const plain = await createServiceServer({ ...base, name: 'plain' });
    const uploads = await createServiceServer({ ...base, name: 'uploads', requestTimeoutMs: 3_600_000 });
    await plain.listen(0);
    await uploads.listen(0);
    try {
      expect(plain.http?.requestTimeout).toBe(300_000);
      expect(uploads.http?.requestTimeout).toBe(3_600_000);
    } finally {
      await plain.close();
      await uploads.close();
    }
  });

  it('labels an operation by its type and first root field, never by the name a client chose', () => {
    const op = (source: string) => parse(source).definitions[0] as OperationDefinitionNode;
    // The name a subgraph sees is the gateway's plan name, made of the client's.
    expect(operationLabel({ operation: op('mutation AnyName__executions__0 { startExecution(input: {}) { id } other }') })).toBe('mutation startExecution');
    expect(operationLabel({ operation: op('query Chosen { a: _entities(representations: []) { __typename } }') })).toBe('query _entities');
    expect(operationLabel({ operation: op('query { ... on Query { x } }') })).toBe('query');
    expect(operationLabel({})).toBe('invalid');
  });

  it('answers /readyz without a database check when the service has none', async () => {
    const server = await createServiceServer({ ...base, name: 'stateless', readiness: [{ name: 'upstream', check: () => { throw new Error('down'); } }] });
    const port = await server.listen(0);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', checks: [{ name: 'upstream', ok: false, error: 'down' }] });
    } finally {
      await server.close();
    }
  });
});
