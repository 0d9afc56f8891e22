import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
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
  // A local webhook receiver (reachable through the test-only allow-list): the run's delivery goes there.
  let receiver: Server;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => { received.push(String(req.headers['webhook-id'])); res.writeHead(204).end(); });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // The whole platform runs in this process, so one in-memory exporter sees every service's spans.
    tracing = startTracing({ serviceName: 'rowline-test', processor: new SimpleSpanProcessor(exporter) });
    const db = await createTestDatabase('tracing');
    dropDb = db.drop;
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-tracing-'));
    platform = await startPlatform({
      databaseUrl: db.url, kafkaBrokers: (await kafkaServer()).brokers, topicPrefix: uniqueName('trace'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
      delivery: { hosts: { production: false, devAllowedHosts: ['localhost'] } },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await tracing?.shutdown();
    await dropDb?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    receiver?.close();
  });

  it('puts the gateway, the subgraph, Kafka, the engine worker and the run\'s delivery in one trace', async () => {
    const api = graphqlClient(platform.graphqlUrl);
    const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: 'Traced' } });
    api.setToken(signUp.data!.signUp.accessToken);
    const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
      { i: { name: 'Traced', steps: STEPS } });
    const port = (receiver.address() as { port: number }).port;
    const destination = await api.request(`mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }`,
      { i: { name: 'Traced hook', kind: 'WEBHOOK', config: { url: `http://localhost:${port}/hook`, secret: 'traced-webhook-secret-0123' } } });
    expect(destination.errors).toBeUndefined();
    const attached = await api.request(`mutation($i: AttachDestinationInput!) { attachDestination(input: $i) { id } }`,
      { i: { workflowId: created.data!.createWorkflow.workflow.id, destinationId: destination.data!.createDestination.id } });
    expect(attached.errors).toBeUndefined();
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
    // The delivery worker's attempt, possibly on another worker and later: it continues the trace the
    // executions.events message carried into the delivery consumer, through the delivery's ledger row.
    const isAttempt = (s: ReadableSpan) => s.name === 'delivery attempt' && s.attributes['rowline.execution.id'] === executionId;
    const attempt = await until('the delivery attempt span', () => spans().find(isAttempt));
    expect(received).toHaveLength(1);
    expect(attempt.attributes).toMatchObject({ 'rowline.destination.kind': 'webhook', 'rowline.delivery.outcome': 'SUCCEEDED', 'rowline.delivery.status': 'SUCCEEDED' });
    expect(attempt.spanContext().traceId).toBe(traceId);
    const inTrace = await until('the events of the run in its trace', () => {
      const all = spans().filter((s) => s.spanContext().traceId === traceId);
      return all.some((s) => s.kind === SpanKind.PRODUCER && String(s.attributes['messaging.destination.name']).endsWith('executions.events')) ? all : undefined;
    });
    // The run's events each get a consumer span; the attempt's parent is the one that recorded the delivery.
    const recorder = inTrace.find((s) => s.spanContext().spanId === attempt.parentSpanContext?.spanId);
    expect(recorder && { kind: SpanKind[recorder.kind], group: recorder.attributes['messaging.consumer.group.name'], key: recorder.attributes['messaging.kafka.message.key'] })
      .toEqual({ kind: 'CONSUMER', group: 'delivery-service', key: executionId });
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
