import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureSql, selects } from '@rowline/testing/plans';
import { errorCodes, owner, startDelivery, TENANT_A, TENANT_B, type Harness } from './support/harness.js';

let h: Harness;
let destinationId: string;
beforeAll(async () => {
  h = await startDelivery();
  const created = await h.gql(owner(TENANT_A), `mutation { createDestination(input: {
    name: "A's hook", kind: WEBHOOK, config: { url: "https://a.example.com/hook", secret: "a-secret-of-tenant-a" }
  }) { id } }`);
  destinationId = created.data.createDestination.id;
});
afterAll(async () => { await h?.stop(); });

const operations: Record<string, { query: string; variables: (id: string) => object }> = {
  read: { query: `query($id: ID!) { destination(id: $id) { id name } }`, variables: (id) => ({ id }) },
  update: { query: `mutation($id: ID!) { updateDestination(input: { id: $id, name: "taken" }) { id } }`, variables: (id) => ({ id }) },
  delete: { query: `mutation($id: ID!) { deleteDestination(id: $id) }`, variables: (id) => ({ id }) },
  attach: {
    query: `mutation($id: ID!) { attachDestination(input: { workflowId: "0193a000-0000-7000-8000-0000000000f1", destinationId: $id }) { id } }`,
    variables: (id) => ({ id }),
  },
  routes: { query: `query($id: ID!) { destination(id: $id) { routes { edges { node { id } } } } }`, variables: (id) => ({ id }) },
  reference: {
    query: `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Destination { id name } } }`,
    variables: (id) => ({ reps: [{ __typename: 'Destination', id }] }),
  },
};

describe('tenant isolation', () => {
  it('answers NOT_FOUND when a tenant attaches its own destination to another tenant\'s workflow, and stores no route', async () => {
    // A third tenant, so the listings below still see nothing of tenant B's.
    const intruder = '0193a000-0000-7000-8000-00000000000c';
    const theirWorkflow = await h.workflow(TENANT_A);
    const mine = await h.gql(owner(intruder), `mutation { createDestination(input: {
      name: "B's hook", kind: WEBHOOK, config: { url: "https://b.example.com/hook", secret: "b-secret-of-tenant-b" }
    }) { id } }`);
    const ATTACH = `mutation($w: ID!, $d: ID!) { attachDestination(input: { workflowId: $w, destinationId: $d }) { id } }`;
    const result = await h.gql(owner(intruder), ATTACH, { w: theirWorkflow, d: mine.data.createDestination.id });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    expect(result.data ?? null).toBeNull();
    expect(await h.orm.em.fork().getConnection().execute(`select id from delivery.routes where workflow_id = ?`, [theirWorkflow])).toEqual([]);
    // The control: the same workflow id is fine for its own tenant.
    const own = await h.gql(owner(TENANT_A), ATTACH, { w: theirWorkflow, d: destinationId });
    expect(own.errors).toBeUndefined();
  });

  for (const [name, op] of Object.entries(operations)) {
    it(`answers NOT_FOUND when another tenant tries to ${name} a destination`, async () => {
      const result = await h.gql(owner(TENANT_B), op.query, op.variables(destinationId));
      expect(errorCodes(result)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(result)).not.toContain("A's hook");
    });

    it(`answers NOT_FOUND for a malformed id on ${name}`, async () => {
      expect(errorCodes(await h.gql(owner(TENANT_A), op.query, op.variables('not-an-id')))).toEqual(['NOT_FOUND']);
    });
  }

  it('shows another tenant neither the routes of a workflow nor those of a destination, and lets it detach none', async () => {
    const workflowId = await h.workflow(TENANT_A);
    const attached = await h.gql(owner(TENANT_A), `mutation($w: ID!, $d: ID!) { attachDestination(input: { workflowId: $w, destinationId: $d }) { id } }`,
      { w: workflowId, d: destinationId });
    const routeId = attached.data.attachDestination.id;
    const WORKFLOW_ROUTES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Workflow { routes { edges { node { id } } } } } }`;
    const reps = { reps: [{ __typename: 'Workflow', id: workflowId }] };
    expect((await h.gql(owner(TENANT_B), WORKFLOW_ROUTES, reps)).data._entities).toEqual([{ routes: { edges: [] } }]);
    expect((await h.gql(owner(TENANT_A), WORKFLOW_ROUTES, reps)).data._entities).toEqual([{ routes: { edges: [{ node: { id: routeId } }] } }]);
    const detach = await h.gql(owner(TENANT_B), `mutation($w: ID!, $d: ID!) { detachDestination(input: { workflowId: $w, destinationId: $d }) }`,
      { w: workflowId, d: destinationId });
    expect(errorCodes(detach)).toEqual(['NOT_FOUND']);
    expect(await h.orm.em.fork().getConnection().execute(`select id from delivery.routes where id = ?`, [routeId])).toEqual([{ id: routeId }]);
  });

  it('leaves the destination untouched after the other tenant tried', async () => {
    const result = await h.gql(owner(TENANT_A), `query($id: ID!) { destination(id: $id) { name } }`, { id: destinationId });
    expect(result.data.destination.name).toBe("A's hook");
  });

  it('lists only the caller\'s own destinations', async () => {
    const result = await h.gql(owner(TENANT_B), `{ destinations { edges { node { id } } } }`);
    expect(result.data.destinations.edges).toEqual([]);
  });
});

describe('deliveries', () => {
  const EXECUTION = '0193a000-0000-7000-8000-0000000000e1';
  const OTHER_EXECUTION = '0193a000-0000-7000-8000-0000000000e2';
  let mine: string[];
  let theirs: string;

  beforeAll(async () => {
    mine = [
      await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, artifactName: 'report.xlsx', attempts: 2 }),
      await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, artifactName: 'summary.csv' }),
    ];
    await h.insertDelivery({ tenantId: TENANT_A, executionId: OTHER_EXECUTION, artifactName: 'other.xlsx' });
    // The same execution id under another tenant must never leak into A's answers.
    theirs = await h.insertDelivery({ tenantId: TENANT_B, executionId: EXECUTION, artifactName: 'b-secret.xlsx' });
  });

  it('returns Execution.deliveries through _entities for that execution and tenant only', async () => {
    const result = await h.gql(owner(TENANT_A), `query($reps: [_Any!]!) {
      _entities(representations: $reps) { ... on Execution { id deliveries { id status artifactName attempts { outcome error durationMs } } } }
    }`, { reps: [{ __typename: 'Execution', id: EXECUTION }] });
    expect(result.errors).toBeUndefined();
    const [execution] = result.data._entities;
    expect(execution.id).toBe(EXECUTION);
    expect(execution.deliveries.map((d: any) => d.id)).toEqual(mine);
    expect(execution.deliveries[0].attempts).toEqual([
      { outcome: 'FAILED', error: 'try 1', durationMs: 10 },
      { outcome: 'FAILED', error: 'try 2', durationMs: 20 },
    ]);
    expect(execution.deliveries[1]).toMatchObject({ status: 'PENDING', artifactName: 'summary.csv', attempts: [] });
  });

  it('reads the deliveries of many runs in one query, each run\'s as when it is asked alone', async () => {
    const QUERY = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Execution { id deliveries { id artifactName attempts { outcome } } } } }`;
    const runs = [EXECUTION, OTHER_EXECUTION, randomUUID(), EXECUTION.toUpperCase(), EXECUTION];
    const reps = (ids: string[]) => ({ reps: ids.map((id) => ({ __typename: 'Execution', id })) });
    const alone = await Promise.all(runs.map(async (id) => (await h.gql(owner(TENANT_A), QUERY, reps([id]))).data._entities[0].deliveries));
    const { result, statements } = await captureSql(h.orm as never, () => h.gql(owner(TENANT_A), QUERY, reps(runs)));
    expect(result.errors).toBeUndefined();
    expect(result.data._entities.map((e: any) => e.deliveries)).toEqual(alone);
    expect(alone.map((d: any[]) => d.length)).toEqual([2, 1, 0, 2, 2]);
    expect(selects(statements).filter((q) => q.includes('"execution_id"'))).toHaveLength(1);
    // Tenant B's delivery of the same run id stays B's: A never sees it, and B sees it alone.
    const asB = await h.gql(owner(TENANT_B), QUERY, reps(runs));
    expect(asB.data._entities.map((e: any) => e.deliveries.map((d: any) => d.id))).toEqual([[theirs], [], [], [theirs], [theirs]]);
  });

  it('filters the ledger by execution and status, newest first', async () => {
    const byExecution = await h.gql(owner(TENANT_A), `query($e: ID!) { deliveries(executionId: $e) { edges { node { id } } } }`, { e: EXECUTION });
    expect(byExecution.data.deliveries.edges.map((e: any) => e.node.id)).toEqual([...mine].reverse());
    const failed = await h.gql(owner(TENANT_A), `{ deliveries(status: FAILED) { edges { node { id artifactName } } } }`);
    expect(failed.data.deliveries.edges).toEqual([{ node: { id: mine[0], artifactName: 'report.xlsx' } }]);
    const malformed = await h.gql(owner(TENANT_A), `{ deliveries(executionId: "nope") { edges { node { id } } } }`);
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(malformed.errors[0].extensions.argument).toBe('executionId');
  });

  it('answers NOT_FOUND for another tenant\'s delivery, directly and as an entity', async () => {
    expect(errorCodes(await h.gql(owner(TENANT_A), `query($id: ID!) { delivery(id: $id) { id } }`, { id: theirs }))).toEqual(['NOT_FOUND']);
    const entity = await h.gql(owner(TENANT_A), `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Delivery { id } } }`, {
      reps: [{ __typename: 'Delivery', id: theirs }],
    });
    expect(errorCodes(entity)).toEqual(['NOT_FOUND']);
  });

  it('answers NOT_FOUND for a malformed execution id', async () => {
    const result = await h.gql(owner(TENANT_A), `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Execution { id } } }`, {
      reps: [{ __typename: 'Execution', id: 'not-an-id' }],
    });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
  });
});

describe('totalCount', () => {
  const C = randomUUID();
  const D = randomUUID();
  const EXECUTION = randomUUID();
  const create = async (tenant: string, name: string) => (await h.gql(owner(tenant), `mutation($n: String!) { createDestination(input: {
    name: $n, kind: EMAIL, config: { to: ["ops@example.com"], subject: "x" } }) { id } }`, { n: name })).data.createDestination.id as string;
  const attach = (tenant: string, w: string, d: string) =>
    h.gql(owner(tenant), `mutation($w: ID!, $d: ID!) { attachDestination(input: { workflowId: $w, destinationId: $d }) { id } }`, { w, d });

  it('counts the tenant\'s destinations on every page, and none of another tenant\'s', async () => {
    for (const name of ['one', 'two', 'three']) await create(C, name);
    for (const name of ['one', 'two']) await create(D, name);
    const LIST = `query($first: Int, $after: String) { destinations(first: $first, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = (await h.gql(owner(C), LIST, { first: 2 })).data.destinations;
    const page2 = (await h.gql(owner(C), LIST, { first: 2, after: page1.pageInfo.endCursor })).data.destinations;
    expect([page1.totalCount, page1.edges.length, page2.totalCount, page2.edges.length]).toEqual([3, 2, 3, 1]);
    expect((await h.gql(owner(D), LIST, { first: 0 })).data.destinations).toEqual({ totalCount: 2, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  it('counts a workflow\'s and a destination\'s routes, for their own tenant only', async () => {
    const [left, right] = [await create(C, 'left'), await create(C, 'right')];
    const [w1, w2] = [await h.workflow(C), await h.workflow(C)];
    for (const [w, d] of [[w1, left], [w1, right], [w2, left]] as const) expect(errorCodes(await attach(C, w, d))).toEqual([]);
    const WORKFLOW_ROUTES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Workflow { routes(first: 1) { totalCount edges { node { id } } } } } }`;
    const reps = { reps: [{ __typename: 'Workflow', id: w1 }] };
    expect((await h.gql(owner(C), WORKFLOW_ROUTES, reps)).data._entities[0].routes).toMatchObject({ totalCount: 2, edges: [{}] });
    expect((await h.gql(owner(D), WORKFLOW_ROUTES, reps)).data._entities[0].routes).toEqual({ totalCount: 0, edges: [] });
    const DESTINATION_ROUTES = `query($id: ID!, $after: String) { destination(id: $id) { routes(first: 1, after: $after) { totalCount pageInfo { endCursor } } } }`;
    const page1 = (await h.gql(owner(C), DESTINATION_ROUTES, { id: left })).data.destination.routes;
    const page2 = (await h.gql(owner(C), DESTINATION_ROUTES, { id: left, after: page1.pageInfo.endCursor })).data.destination.routes;
    expect([page1.totalCount, page2.totalCount]).toEqual([2, 2]);
    expect((await h.gql(owner(C), DESTINATION_ROUTES, { id: right })).data.destination.routes.totalCount).toBe(1);
  });

  it('counts the ledger under its filters, and none of another tenant\'s deliveries of the same execution id', async () => {
    await h.insertDelivery({ tenantId: C, executionId: EXECUTION, attempts: 1 });
    await h.insertDelivery({ tenantId: C, executionId: EXECUTION });
    await h.insertDelivery({ tenantId: C, executionId: randomUUID() });
    await h.insertDelivery({ tenantId: D, executionId: EXECUTION, attempts: 1 });
    const LEDGER = `query($e: ID, $s: DeliveryStatus, $first: Int) { deliveries(executionId: $e, status: $s, first: $first) { totalCount edges { node { id } } } }`;
    const count = async (tenant: string, variables: object) => (await h.gql(owner(tenant), LEDGER, variables)).data.deliveries.totalCount;
    expect(await count(C, {})).toBe(3);
    expect(await count(C, { first: 1 })).toBe(3);
    expect(await count(C, { e: EXECUTION })).toBe(2);
    expect(await count(C, { e: EXECUTION, s: 'FAILED' })).toBe(1);
    expect(await count(C, { s: 'DEAD' })).toBe(0);
    expect(await count(D, { e: EXECUTION })).toBe(1);
  });
});
