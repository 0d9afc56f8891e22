import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { collect, liveClient, tenantWithWorkflow } from './support/live.js';

describe('GraphQL subscriptions in the embedded mode (in-process bus)', () => {
  let t: TestPlatform;
  beforeAll(async () => { t = await startTestPlatform(); });
  afterAll(async () => { await t?.stop(); });

  it('pushes a run from its current state to its final state with fields of other subgraphs, then completes', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Embedded');
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    try {
      const runId = await acme.startRun();
      const updates = (await collect(client, `subscription($id: ID!) { executionUpdated(id: $id) {
        event { type sequence } execution { status workflowVersion { workflow { name } } inputFile { name } } } }`, { id: runId }).done)
        .map((r) => { expect(r.errors).toBeUndefined(); return r.data.executionUpdated; });
      expect(updates[0].event.type).toBe('SNAPSHOT');
      const seqs = updates.map((u) => u.event.sequence).filter((s) => s !== null);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(updates.at(-1).execution).toEqual({
        status: 'SUCCEEDED', workflowVersion: { workflow: { name: 'Acme Embedded sales by region' } }, inputFile: { name: 'Sales.xlsx' },
      });
    } finally {
      await client.dispose();
    }
  });

  it('answers a query sent over the socket through the gateway as the socket\'s user, and reports its health', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Socket Query');
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    try {
      const [reply] = await collect(client, 'query { me { tenant { id } } }').done;
      expect(reply).toEqual({ data: { me: { tenant: { id: acme.tenantId } } } });
      // An unknown run's NOT_FOUND has a path of the subscriber's result, never the query's internal field.
      const [unknown] = await collect(client, 'subscription($id: ID!) { executionUpdated(id: $id) { event { type } } }', { id: randomUUID() }).done;
      expect(unknown!.errors).toMatchObject([{ path: ['executionUpdated'], extensions: { code: 'NOT_FOUND' } }]);
      const [selected] = await collect(client, 'subscription($id: ID!) { executionUpdated(id: $id) { run: execution { status } } }', { id: randomUUID() }).done;
      expect(selected!.errors).toMatchObject([{ extensions: { code: 'NOT_FOUND' } }]);
      expect([['executionUpdated'], ['executionUpdated', 'run']]).toContainEqual(selected!.errors![0]!.path);
      const [bad] = await collect(client, 'subscription { executionUpdated(id: 1) { nope } }').done;
      expect(bad!.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

      const health = await fetch(new URL('/healthz/subscriptions', t.platform.url));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', consuming: true, sockets: expect.any(Number), subscriptions: expect.any(Number) });
    } finally {
      await client.dispose();
    }
  });

  it('refuses a feed filtered by a malformed workflow id as the executions query does: BAD_USER_INPUT, then complete', async () => {
    const { accessToken } = await t.signUp('Acme Bad Filter');
    const query = await t.post('query($f: ExecutionFilterInput) { executions(filter: $f) { edges { node { id } } } }',
      { token: accessToken, variables: { f: { workflowId: 'nope' } } });
    const { requestId: _requestId, ...queryExtensions } = query.errors![0]!.extensions!;
    expect(queryExtensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'workflowId' });

    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${accessToken}` });
    try {
      // Without the refusal the subscription is accepted and never delivers: wait a bounded time, not forever.
      const results = await Promise.race([
        collect(client, 'subscription($f: ExecutionEventsFilter) { feed: executionEvents(filter: $f) { event { type } } }', { f: { workflowId: 'nope' } }).done,
        new Promise<'still open'>((r) => setTimeout(() => r('still open'), 3000)),
      ]);
      expect(results).toEqual([{ data: null, errors: [{ message: query.errors![0]!.message, path: ['feed'], extensions: queryExtensions }] }]);
    } finally {
      await client.dispose();
    }
  });
});
