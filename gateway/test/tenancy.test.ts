import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';

const STEPS = [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }];
const WORKFLOWS = '{ workflows { edges { node { id name } } } }';

let t: TestPlatform;
type Tenant = Awaited<ReturnType<TestPlatform['signUp']>> & { workflowId: string };
let acme: Tenant;
let globex: Tenant;

async function tenantWithWorkflow(name: string): Promise<Tenant> {
  const signedUp = await t.signUp(name);
  const created = await t.post(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
    { token: signedUp.accessToken, variables: { i: { name: `${name} workflow`, steps: STEPS } } });
  if (!created.data) throw new Error(`createWorkflow failed: ${JSON.stringify(created.errors)}`);
  return { ...signedUp, workflowId: created.data.createWorkflow.workflow.id };
}

beforeAll(async () => {
  t = await startTestPlatform();
  acme = await tenantWithWorkflow('Acme');
  globex = await tenantWithWorkflow('Globex');
});
afterAll(async () => { await t?.stop(); });

const HEADERS = (other: Tenant): Array<Record<string, string>> => [
  { 'x-tenant-id': other.tenantId },
  { 'x-tenant': other.tenantSlug },
  { 'x-rowline-tenant-id': other.tenantId, 'x-user-id': other.userId, 'x-role': 'OWNER' },
];

describe('tenant isolation at the gateway', () => {
  it('lists only the caller\'s own workflows, whatever tenant header is sent', async () => {
    for (const headers of [{}, ...HEADERS(globex)]) {
      const reply = await t.post(WORKFLOWS, { token: acme.accessToken, headers });
      expect(reply.data?.workflows.edges, JSON.stringify(headers)).toEqual([{ node: { id: acme.workflowId, name: 'Acme workflow' } }]);
    }
  });

  it('answers me with the caller\'s own tenant, whatever tenant header is sent', async () => {
    for (const headers of HEADERS(globex)) {
      const reply = await t.post('{ me { tenant { id } } }', { token: acme.accessToken, headers });
      expect(reply.data?.me.tenant.id).toBe(acme.tenantId);
    }
  });

  it('answers NOT_FOUND for another tenant\'s workflow, with or without its tenant header', async () => {
    for (const headers of [{}, { 'x-tenant-id': globex.tenantId }] as Array<Record<string, string>>) {
      const reply = await t.post('query($id: ID!) { workflow(id: $id) { id name } }', { token: acme.accessToken, headers, variables: { id: globex.workflowId } });
      expect(codesOf(reply)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(reply)).not.toContain('Globex workflow');
    }
  });

  it('gives an anonymous caller with a tenant header nothing', async () => {
    const reply = await t.post(WORKFLOWS, { headers: { 'x-tenant-id': acme.tenantId } });
    expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a log-in naming another tenant\'s slug, so the tenant argument cannot switch tenant', async () => {
    const reply = await t.post(`mutation($i: LogInInput!) { logIn(input: $i) { tenant { id } } }`,
      { variables: { i: { email: acme.email, password: acme.password, tenantSlug: globex.tenantSlug } } });
    expect(codesOf(reply)).toEqual(['UNAUTHENTICATED']);
    expect(reply.data ?? null).toBeNull();
  });

  it('does not pass a client\'s own internal-token header on to the subgraphs', async () => {
    const reply = await t.post(WORKFLOWS, { token: acme.accessToken, headers: { 'x-rowline-internal-token': 'forged' } });
    expect(reply.data?.workflows.edges).toHaveLength(1);
    const anonymous = await t.post(WORKFLOWS, { headers: { 'x-rowline-internal-token': 'forged' } });
    expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
  });
});
