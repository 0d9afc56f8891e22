import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusMessage } from '@rowline/bus';
import { demoSalesRows, demoWorkbook, graphqlClient, startPlatform, type GraphQLClient, type PlatformOptions } from '@rowline/embedded';
import { createInternalTokens, createLogger, createOrm, INTERNAL_TOKEN_HEADER } from '@rowline/kit';
import { decodeExecutionRequested, TOPICS } from '@rowline/proto';
import { createTestDatabase, uniqueName } from '@rowline/testing';
import { entities, migrations, SCHEMA, SERVICE } from '../../src/index.js';
import { until } from './until.js';

export { until };

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A workflow that succeeds on the demo workbook and writes one artifact. */
export const SUMMARY_STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'status', op: 'ne', value: 'void' } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', format: 'xlsx', sheets: [{ from: 'Summary' }] }] } },
];

export const ENDED = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

export const codesOf = (result: { errors?: Array<{ extensions?: { code?: string } }> }) => (result.errors ?? []).map((e) => e.extensions?.code);

/**
 * The whole platform in-process on the in-process bus, on this file's own database, plus what the tests
 * need to look behind the API: the executions tables, the storage directory, and every ExecutionRequested
 * as it crossed the bus.
 */
export async function startExecutionsPlatform(opts: {
  leaseMs?: number; executions?: PlatformOptions['executions'];
  /** Real Kafka (the fault tests) rather than the in-process bus, under a topic prefix of its own. */
  kafkaBrokers?: string[];
  /** A database on a server the test runs itself (one it restarts); by default one on the shared server. */
  database?: { url: string; drop(): Promise<void> };
} = {}) {
  const db = opts.database ?? await createTestDatabase('executions');
  const topicPrefix = opts.kafkaBrokers ? `${uniqueName('exec')}.` : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'rowline-executions-'));
  const internalToken = randomBytes(32).toString('hex');
  const platform = await startPlatform({
    databaseUrl: db.url, dataDir, port: 0, logLevel: 'silent', leaseMs: opts.leaseMs, executions: opts.executions,
    kafkaBrokers: opts.kafkaBrokers, topicPrefix,
    secrets: { internalToken, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
  });
  // Its own ORM on the executions schema: the tests read and (to stage a crash) write rows like an operator would.
  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger: createLogger({ service: 'executions-test', level: 'silent' }) });
  const requested = new Map<string, BusMessage>();
  const tap = await platform.bus.subscribe({
    topics: [TOPICS.executionRequested], groupId: `test-tap-${randomUUID()}`, fromBeginning: true,
    handler: async (m) => { requested.set(decodeExecutionRequested(m.value).executionId, m); },
  });

  const tokens = createInternalTokens(internalToken);
  /** Calls the executions subgraph directly, the way the gateway does (for what the gateway does not expose, such as `_entities`). */
  async function subgraph(tenantId: string, query: string, variables: object = {}) {
    const token = await tokens.sign({ kind: 'user', tenantId, subject: 'test-user', role: 'MEMBER', scopes: [] }, SERVICE);
    const res = await fetch(`${platform.urls.executions}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token }, body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  }

  const sql = <T = Record<string, any>>(query: string, params: unknown[] = []) =>
    orm.em.fork().getConnection().execute<T[]>(query, params);

  /** Signs up a new tenant and answers a builder for its workflows, files and runs. */
  async function tenant(name = 'Acme') {
    const api = graphqlClient(platform.graphqlUrl);
    const res = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken tenant { id } } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: name } });
    if (res.errors) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
    api.setToken(res.data!.signUp.accessToken);
    return tenantBuilder(api, res.data!.signUp.tenant.id as string);
  }

  function tenantBuilder(api: GraphQLClient, tenantId: string) {
    return {
      api,
      tenantId,
      async workflow(steps: unknown[] = SUMMARY_STEPS, name = 'Sales summary') {
        const res = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } version { id } } }`,
          { i: { name, steps } });
        if (res.errors) throw new Error(`createWorkflow failed: ${JSON.stringify(res.errors)}`);
        return { workflowId: res.data!.createWorkflow.workflow.id as string, versionId: res.data!.createWorkflow.version.id as string };
      },
      async upload(name = 'Sales.xlsx', rows = 60) {
        const bytes = await demoWorkbook(demoSalesRows(rows));
        const res = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
          { i: { name, contentType: XLSX, size: bytes.length } });
        if (res.errors) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
        const put = await fetch(res.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
        if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
        return res.data!.createUpload.file.id as string;
      },
      /** Uploads a csv text under `name` and waits until it is READY. */
      async uploadCsv(name: string, text: string) {
        const bytes = Buffer.from(text);
        const res = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
          { i: { name, contentType: 'text/csv', size: bytes.length } });
        if (res.errors) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
        const put = await fetch(res.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
        if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
        const id = res.data!.createUpload.file.id as string;
        await until(`${name} to be READY`, async () => {
          const f = await api.request('query($id: ID!) { file(id: $id) { status } }', { id });
          return f.data?.file?.status === 'READY' ? true : undefined;
        });
        return id;
      },
      start(input: { workflowVersionId: string; fileId: string; idempotencyKey?: string; files?: Array<{ key: string; fileId: string }> }) {
        return api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id status } }`,
          { i: { idempotencyKey: randomUUID(), ...input } });
      },
      /** Starts a run and fails the test on any error. */
      async run(input: { workflowVersionId: string; fileId: string; idempotencyKey?: string; files?: Array<{ key: string; fileId: string }> }) {
        const res = await this.start(input);
        if (res.errors) throw new Error(`startExecution failed: ${JSON.stringify(res.errors)}`);
        return res.data!.startExecution.id as string;
      },
      /** Waits for the run to end and answers it as the API shows it. */
      ended(id: string) {
        return until(`execution ${id} to end`, async () => {
          const res = await api.request(`query($id: ID!) { execution(id: $id) {
            id status phase attempt retryOf workflowVersion { id } error { code message step } steps { index type status rowsIn rowsOut }
            logs { level message step } artifacts { id name } } }`, { id });
          return ENDED.includes(res.data?.execution?.status) ? res.data!.execution : undefined;
        });
      },
    };
  }

  return {
    platform,
    tenant,
    sql,
    subgraph,
    requested,
    storageDir: join(dataDir, 'storage'),
    /** The environment of an engine worker process (services/executions/dist/worker.js) joining this platform. */
    workerEnv: (): Record<string, string> => ({
      DATABASE_URL: db.url, KAFKA_BROKERS: (opts.kafkaBrokers ?? []).join(','), KAFKA_TOPIC_PREFIX: topicPrefix ?? '',
      FILES_URL: platform.urls.files, STORAGE_DIR: join(dataDir, 'storage'), INTERNAL_TOKEN_SECRET: internalToken,
    }),
    topicPrefix,
    async stop() {
      await tap.stop();
      await platform.stop();
      await orm.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
export type ExecutionsPlatform = Awaited<ReturnType<typeof startExecutionsPlatform>>;
export type Tenant = Awaited<ReturnType<ExecutionsPlatform['tenant']>>;
