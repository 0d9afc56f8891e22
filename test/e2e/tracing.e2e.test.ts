import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor, startTracing, type ReadableSpan, type Tracing } from '@rowline/kit';
import { createTestDatabase, kafkaServer, uniqueName } from '@rowline/testing';
import { demoWorkbook, graphqlClient, startPlatform, type Platform } from '@rowline/embedded';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'amount', op: 'gt', value: 100 } } },
  { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tracing one run on Apache Kafka', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | null;
  let platform: Platform;
  let dataDir: string;
  let dropDb: () => Promise<void>;

  beforeAll(async () => {
    // The whole platform runs in this process, so one in-memory exporter sees every service's spans.
    tracing = startTracing({ serviceName: 'rowline-test', processor: new SimpleSpanProcessor(exporter) });
    const db = await createTestDatabase('tracing');
    dropDb = db.drop;
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-tracing-'));
    platform = await startPlatform({
      databaseUrl: db.url, kafkaBrokers: (await kafkaServer()).brokers, topicPrefix: uniqueName('trace'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await tracing?.shutdown();
    await dropDb?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('puts the gateway, the subgraph, Kafka and the engine worker of one run in one trace', async () => {
    const api = graphqlClient(platform.graphqlUrl);
    const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: 'Traced' } });
    api.setToken(signUp.data!.signUp.accessToken);
    const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { latestVersion { id } } } }`,
      { i: { name: 'Traced', steps: STEPS } });
    const bytes = await demoWorkbook();
    const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
    expect((await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes })).status).toBe(200);

    const started = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`, {
      i: { workflowVersionId: created.data!.createWorkflow.workflow.latestVersion.id, fileId: upload.data!.createUpload.file.id, idempotencyKey: randomUUID() },
    });
    expect(started.errors).toBeUndefined();
    const executionId = started.data!.startExecution.id as string;
    await until('the run to succeed', async () => {
      const res = await api.request(`query($id: ID!) { execution(id: $id) { status } }`, { id: executionId });
      return res.data?.execution?.status === 'SUCCEEDED' ? true : undefined;
    });

    // The trace of the run: the one in which an engine worker consumed this execution's request. Its events
    // (executions.events) are published in the same trace; their consumers (delivery, subscriptions) join it
    // through the same headers.
    const spans = () => exporter.getFinishedSpans();
    const isWorker = (s: ReadableSpan) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.consumer.group.name'] === 'engine-workers'
      && s.attributes['messaging.kafka.message.key'] === executionId;
    const worker = await until('the engine worker span', () => spans().find(isWorker));
    const traceId = worker.spanContext().traceId;
    const inTrace = await until('the events of the run in its trace', () => {
      const all = spans().filter((s) => s.spanContext().traceId === traceId);
      return all.some((s) => s.kind === SpanKind.PRODUCER && String(s.attributes['messaging.destination.name']).endsWith('executions.events')) ? all : undefined;
    });
    const names = inTrace.map((s) => `${SpanKind[s.kind]} ${s.name}`);

    expect(names, names.join('\n')).toEqual(expect.arrayContaining([
      'SERVER gateway POST /', // our gateway's request span
      'INTERNAL gateway.request', // Apollo Gateway's own spans
      'SERVER executions POST /', // the executions subgraph, called by the gateway
    ]));
    expect(inTrace.some((s) => s.kind === SpanKind.PRODUCER && String(s.attributes['messaging.destination.name']).endsWith('executions.requested'))).toBe(true);
    expect(inTrace).toContain(worker);

    // One tree: every span but the gateway's request span has its parent in the same trace.
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
    const roots = inTrace.filter((s) => !s.parentSpanContext || !ids.has(s.parentSpanContext.spanId));
    expect(roots.map((s) => s.name)).toEqual(['gateway POST /']);
  });
});
