import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, kafkaServer, uniqueName } from '@rowline/testing';
import { decodeExecutionRequested, TOPICS } from '@rowline/proto';
import { demoSalesRows, demoWorkbook, graphqlClient, startPlatform, type Platform } from '@rowline/embedded';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { all: [
    { column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'],
    measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', format: 'xlsx', sheets: [{ from: 'Summary' }] }] } },
];

/** What the workflow must compute, from the same rows the workbook was written from. */
function expectedSums() {
  const kept = demoSalesRows().filter((r) => r.status !== 'void' && r.amount > 100);
  const sums = new Map<string, number>();
  for (const r of kept) sums.set(r.region, (sums.get(r.region) ?? 0) + r.amount);
  return { kept: kept.length, sums };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each([
  { bus: 'Apache Kafka', kafka: true },
  { bus: 'the in-process bus', kafka: false },
])('a run end to end through the gateway on $bus', ({ kafka }) => {
  let platform: Platform;
  let dataDir: string;
  let dropDb: () => Promise<void>;
  const requested: string[] = [];
  let stopTap: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const db = await createTestDatabase('e2e');
    dropDb = db.drop;
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-e2e-'));
    platform = await startPlatform({
      databaseUrl: db.url, kafkaBrokers: kafka ? (await kafkaServer()).brokers : undefined,
      topicPrefix: uniqueName('e2e'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
    });
    // A tap on executions.requested in its own consumer group: proves the request really crossed the bus.
    const tap = await platform.bus.subscribe({
      topics: [TOPICS.executionRequested], groupId: `e2e-tap-${randomUUID()}`, fromBeginning: true,
      handler: async (m) => { requested.push(decodeExecutionRequested(m.value).executionId); },
    });
    stopTap = tap.stop;
  });

  afterAll(async () => {
    await stopTap?.();
    await platform?.stop();
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function signUp(tenantName: string) {
    const api = graphqlClient(platform.graphqlUrl);
    const res = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken tenant { id } } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName } });
    expect(res.errors).toBeUndefined();
    api.setToken(res.data!.signUp.accessToken);
    return api;
  }

  async function upload(api: ReturnType<typeof graphqlClient>, name: string, bytes: Buffer) {
    const res = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { i: { name, contentType: XLSX, size: bytes.length } });
    expect(res.errors).toBeUndefined();
    const put = await fetch(res.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
    return { fileId: res.data!.createUpload.file.id as string, put };
  }

  it('runs filter and group-and-sum on an uploaded workbook and delivers an xlsx with the right sums', async () => {
    const api = await signUp('Acme');
    const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
      { i: { name: 'Sales by region', steps: STEPS } });
    expect(created.errors).toBeUndefined();
    const versionId = created.data!.createWorkflow.workflow.latestVersion.id;

    const { fileId, put } = await upload(api, 'Sales.xlsx', await demoWorkbook());
    expect(put.status).toBe(200);
    const file = await api.request(`query($id: ID!) { file(id: $id) { status sheets { name } } }`, { id: fileId });
    expect(file.data!.file).toMatchObject({ status: 'READY', sheets: [{ name: 'Sales' }] });

    const started = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id status } }`,
      { i: { workflowVersionId: versionId, fileId, idempotencyKey: randomUUID() } });
    expect(started.errors).toBeUndefined();
    const executionId = started.data!.startExecution.id as string;

    const run = await until('the run to finish', async () => {
      const res = await api.request(`query($id: ID!) { execution(id: $id) {
        status error { code message } steps { index type status rowsIn rowsOut }
        artifacts { id name downloadUrl } workflowVersion { id } inputFile { name } } }`, { id: executionId });
      const status = res.data?.execution?.status;
      return status === 'SUCCEEDED' || status === 'FAILED' ? res.data!.execution : undefined;
    });
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    // The tap is a consumer group of its own, racing the pipeline: wait for it rather than assume it won.
    await until('the tap to see the request', async () => (requested.includes(executionId) ? true : undefined));

    const { kept, sums } = expectedSums();
    expect(run.steps.slice(0, 2)).toEqual([
      { index: 0, type: 'filter', status: 'SUCCEEDED', rowsIn: 500, rowsOut: kept },
      { index: 1, type: 'aggregate', status: 'SUCCEEDED', rowsIn: kept, rowsOut: sums.size },
    ]);
    expect(run.inputFile).toEqual({ name: 'Sales.xlsx' });
    expect(run.workflowVersion).toEqual({ id: versionId });

    expect(run.artifacts).toHaveLength(1);
    expect(run.artifacts[0].name).toBe('summary.xlsx');
    const download = await fetch(run.artifacts[0].downloadUrl);
    expect(download.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await download.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('Summary')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(['region', 'amount']);
    const got = new Map<string, number>();
    sheet.eachRow((row, n) => { if (n > 1) got.set(String(row.getCell(1).value), Number(row.getCell(2).value)); });
    expect([...got.keys()].sort()).toEqual([...sums.keys()].sort());
    for (const [region, sum] of sums) expect(got.get(region)).toBeCloseTo(sum, 6);
  });

  it('refuses an unknown workflow version, another tenant\'s file and a file that is not a workbook', async () => {
    const acme = await signUp('Acme Two');
    const other = await signUp('Other Co');
    const created = await acme.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { latestVersion { id } } } }`,
      { i: { name: 'W', steps: STEPS } });
    const versionId = created.data!.createWorkflow.workflow.latestVersion.id;
    const { fileId } = await upload(acme, 'Sales.xlsx', await demoWorkbook());
    const start = (api: typeof acme, input: object) =>
      api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`, { i: { idempotencyKey: randomUUID(), ...input } });

    const unknownVersion = await start(acme, { workflowVersionId: randomUUID(), fileId });
    expect(unknownVersion.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const otherVersion = (await other.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { latestVersion { id } } } }`,
      { i: { name: 'W', steps: STEPS } })).data!.createWorkflow.workflow.latestVersion.id;
    const foreignFile = await start(other, { workflowVersionId: otherVersion, fileId });
    expect(foreignFile.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const foreignVersion = await start(other, { workflowVersionId: versionId, fileId });
    expect(foreignVersion.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n'), randomBytes(256)]);
    const rejected = await upload(acme, 'invoice.xlsx', pdf);
    expect(rejected.put.status).toBe(415);
    expect(((await rejected.put.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_FILE');
    const notWorkbook = await start(acme, { workflowVersionId: versionId, fileId: rejected.fileId });
    expect(notWorkbook.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const health = await fetch(`${platform.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
