import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStorage } from '@rowline/storage';
import { createInternalTokens, createLogger, createOrm, INTERNAL_TOKEN_HEADER, type Role } from '@rowline/kit';
import { createTestDatabase } from '@rowline/testing';
import { createWorkflowsService, entities, migrations, SCHEMA, SERVICE } from '../../src/index.js';

export type GraphQLError = { message: string; path?: Array<string | number>; extensions: Record<string, any> };
export type GraphQLResult<T = any> = { data?: T; errors?: GraphQLError[] };
export type Caller = { tenantId: string; role: Role };

/** A fresh tenant id for each test, so tests of one file never see each other's workflows. */
export const newTenant = (): string => randomUUID();
export const owner = (tenantId: string): Caller => ({ tenantId, role: 'OWNER' });
export const viewer = (tenantId: string): Caller => ({ tenantId, role: 'VIEWER' });

export const errorCodes = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions.code);

/** A small valid workflow; `amount` makes each one distinguishable. */
export const stepsOver = (amount: number) => [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'amount', op: 'gt', value: amount } } },
  { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];

const WORKFLOW_FIELDS = 'id name description status latestVersion { id number note steps { type params } }';

/** The workflows subgraph on its own database, called the way the gateway calls it (signed internal tokens). */
export async function startWorkflows() {
  const db = await createTestDatabase('workflows');
  const logger = createLogger({ service: 'workflows-test', level: 'silent' });
  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger });
  const tokens = createInternalTokens(randomBytes(32).toString('hex'));
  // No files service here: previews of real files are tested on the whole platform (preview.test.ts).
  const storageDir = await mkdtemp(join(tmpdir(), 'rowline-workflows-'));
  const { server } = await createWorkflowsService({ logger, orm, tokens, storage: createLocalStorage(storageDir), filesUrl: 'http://127.0.0.1:9' });
  const base = `http://127.0.0.1:${await server.listen(0)}`;

  const tokenFor = (caller: Caller, audience = SERVICE) =>
    tokens.sign({ kind: 'user', tenantId: caller.tenantId, subject: `user-of-${caller.tenantId}`, role: caller.role, scopes: [] }, audience);

  async function gql<T = any>(caller: Caller, query: string, variables: object = {}): Promise<GraphQLResult<T>> {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await tokenFor(caller) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResult<T>;
  }

  /** The internal route's JSON answer: a version's steps, or `{error: {code, message}}`. */
  type InternalReply = { error: { code: string; message: string }; id: string; workflowId: string; number: number; steps: unknown[] };

  /** An internal HTTP route, as a sibling service calls it (`null`: no token; `audience`: a token meant for another service). */
  async function internal(caller: Caller | null, path: string, audience = SERVICE) {
    const headers: Record<string, string> = caller ? { [INTERNAL_TOKEN_HEADER]: await tokenFor(caller, audience) } : {};
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as InternalReply };
  }

  /** Creates a workflow and answers it with its first version; fails the test on any error. */
  async function createWorkflow(caller: Caller, input: { name?: string; steps?: unknown[] } = {}) {
    const result = await gql(caller, `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { ${WORKFLOW_FIELDS} } version { id number } } }`,
      { i: { name: input.name ?? 'Big sales', description: 'Orders over a threshold', steps: input.steps ?? stepsOver(100) } });
    if (result.errors) throw new Error(`createWorkflow failed: ${JSON.stringify(result.errors)}`);
    return result.data.createWorkflow as { workflow: { id: string; name: string }; version: { id: string; number: number } };
  }

  function saveVersion(caller: Caller, input: { workflowId: string; baseVersionId: string; steps?: unknown[]; note?: string }) {
    return gql(caller, `mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id number note steps { type params } } }`,
      { i: { steps: stepsOver(200), ...input } });
  }

  return {
    gql,
    internal,
    createWorkflow,
    saveVersion,
    async stop() {
      await server.close();
      await orm.close();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
export type Harness = Awaited<ReturnType<typeof startWorkflows>>;
