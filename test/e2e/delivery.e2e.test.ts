import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName } from '@rowline/testing';
import { demoWorkbook, graphqlClient, startPlatform, type Platform } from '@rowline/embedded';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SECRET = 'e2e-webhook-secret-0123456789';
const STEPS = [
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.xlsx', format: 'xlsx', sheets: [{ from: 'Summary' }] }] } },
];

type Hook = { id: string; valid: boolean; body: any };

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a succeeded run delivered to a webhook, end to end through the gateway', () => {
  let platform: Platform;
  let dataDir: string;
  let dropDb: () => Promise<void>;
  let receiver: Server;
  const hooks: Hook[] = [];

  beforeAll(async () => {
    // Plain http is allowed only for the platform's development hosts; the signature is checked all the same.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [id, ts] = [String(req.headers['webhook-id']), String(req.headers['webhook-timestamp'])];
        const expected = `v1,${createHmac('sha256', SECRET).update(`${id}.${ts}.${raw}`).digest('base64')}`;
        hooks.push({ id, valid: req.headers['webhook-signature'] === expected, body: JSON.parse(raw) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const db = await createTestDatabase('e2e_delivery');
    dropDb = db.drop;
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-e2e-delivery-'));
    platform = await startPlatform({
      databaseUrl: db.url, topicPrefix: uniqueName('e2e'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
      delivery: { hosts: { production: false, devAllowedHosts: ['localhost'] } },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
    receiver?.close();
  });

  it('records the delivery on the run, signs the webhook, and links to the artifact\'s bytes', async () => {
    const api = graphqlClient(platform.graphqlUrl);
    const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: 'Deliveries Inc' } });
    api.setToken(signUp.data!.signUp.accessToken);
    const workflow = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
      { i: { name: 'Totals', steps: STEPS } });
    const { id: workflowId, latestVersion } = workflow.data!.createWorkflow.workflow;
    const port = (receiver.address() as { port: number }).port;
    const destination = await api.request(`mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }`,
      { i: { name: 'Finance hook', kind: 'WEBHOOK', config: { url: `http://localhost:${port}/rowline`, secret: SECRET } } });
    expect(destination.errors).toBeUndefined();
    const attached = await api.request(`mutation($i: AttachDestinationInput!) { attachDestination(input: $i) { id } }`,
      { i: { workflowId, destinationId: destination.data!.createDestination.id, fileNameTemplate: 'totals-{date}.{ext}' } });
    expect(attached.errors).toBeUndefined();

    const bytes = await demoWorkbook();
    const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
      { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
    expect((await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes })).status).toBe(200);
    const started = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
      { i: { workflowVersionId: latestVersion.id, fileId: upload.data!.createUpload.file.id, idempotencyKey: randomUUID() } });
    const executionId = started.data!.startExecution.id as string;

    const run = await until('the run to be delivered', async () => {
      const res = await api.request(`query($id: ID!) { execution(id: $id) { status artifacts { id name }
        deliveries { status fileName attempts { outcome } destination { name } } } }`, { id: executionId });
      const e = res.data?.execution;
      return e?.status === 'SUCCEEDED' && e.deliveries.length && e.deliveries.every((d: any) => d.status === 'SUCCEEDED') ? e : undefined;
    });
    expect(run.deliveries).toEqual([{ status: 'SUCCEEDED', fileName: expect.stringMatching(/^totals-\d{4}-\d{2}-\d{2}\.xlsx$/), attempts: [{ outcome: 'SUCCEEDED' }], destination: { name: 'Finance hook' } }]);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.valid).toBe(true);
    expect(hooks[0]!.body).toMatchObject({ type: 'artifact.delivered', executionId, workflowId, artifact: { id: run.artifacts[0].id, name: 'summary.xlsx' } });
    const download = await fetch(hooks[0]!.body.artifact.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
  });
});
