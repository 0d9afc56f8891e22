import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '@rowline/kit';
import { createTestDatabase } from '@rowline/testing';
import { embeddedEnv } from '../src/config.js';
import { graphqlClient, type GraphQLClient } from '../src/client.js';

// The built entry point, as `npm start` runs it (`npm test` builds before it tests): what is under test is
// that `npm start` reads the delivery settings from its environment.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const STEPS = [{ type: 'output', params: { artifacts: [{ name: 'copy.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }];

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

/** `npm start` with `env` added, on the test's database; stopped as Ctrl-C stops it. */
async function startEmbedded(databaseUrl: string, env: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'rowline-delivery-settings-'));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: databaseUrl, KAFKA_BROKERS: '', SEED_DEMO: 'false', LOG_LEVEL: 'warn', ...env },
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { output += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { output += c; });
  const stop = async () => {
    if (child.exitCode === null) {
      const closed = once(child, 'close');
      process.kill(-child.pid!, 'SIGINT');
      await closed;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await expect.poll(() => (child.exitCode === null ? output : `exited: ${output}`), { timeout: 90_000, interval: 200 }).toContain('Rowline is running');
  } catch (err) {
    await stop();
    throw err;
  }
  return { graphqlUrl: `http://127.0.0.1:${port}/graphql`, stop, output: () => output };
}

/** The /metrics address the start banner prints for `name` (`    delivery    http://127.0.0.1:39211/metrics`). */
function bannerMetricsUrl(output: string, name: string): string {
  const url = new RegExp(`^ {4}${name} +(http://\\S+/metrics)$`, 'm').exec(output)?.[1];
  if (!url) throw new Error(`the start banner names no /metrics of ${name}:\n${output}`);
  return url;
}

const scrape = async (url: string) => (await fetch(url)).text();

/** The value of the sample `name` whose labels include `labels` in a Prometheus text exposition; undefined if none. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const has = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function signUp(graphqlUrl: string): Promise<GraphQLClient> {
  const api = graphqlClient(graphqlUrl);
  const res = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: 'Local hooks' } });
  api.setToken(res.data!.signUp.accessToken);
  return api;
}

const createHook = (api: GraphQLClient, url: string) => api.request(`mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }`,
  { i: { name: 'Local hook', kind: 'WEBHOOK', config: { url, secret: 'local-webhook-secret-0123456789' } } });

describe('npm start reads the delivery settings', () => {
  let receiver: Server;
  let hookUrl: string;
  const received: Array<{ type: string; executionId: string }> = [];
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    db = await createTestDatabase('embedded_delivery');
  });
  afterAll(async () => {
    receiver?.close();
    await db?.drop();
  });

  it('delivers a run to a webhook on 127.0.0.1 when DELIVERY_DEV_ALLOWED_HOSTS names it, counted on the /metrics the banner names', async () => {
    const platform = await startEmbedded(db.url, { DELIVERY_DEV_ALLOWED_HOSTS: '127.0.0.1', DELIVERY_POLL_MS: '200' });
    try {
      const api = await signUp(platform.graphqlUrl);
      const destination = await createHook(api, hookUrl);
      expect(destination.errors).toBeUndefined();
      const workflow = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
        { i: { name: 'Copy', steps: STEPS } });
      const { id: workflowId, latestVersion } = workflow.data!.createWorkflow.workflow;
      await api.request(`mutation($i: AttachDestinationInput!) { attachDestination(input: $i) { id } }`,
        { i: { workflowId, destinationId: destination.data!.createDestination.id } });
      const bytes = Buffer.from('region,amount\nNorth,10\n');
      const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
        { i: { name: 'Sales.csv', contentType: 'text/csv', size: bytes.length } });
      expect((await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes })).status).toBe(200);
      const started = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
        { i: { workflowVersionId: latestVersion.id, fileId: upload.data!.createUpload.file.id, idempotencyKey: randomUUID() } });
      const executionId = started.data!.startExecution.id as string;
      await expect.poll(() => received.filter((r) => r.executionId === executionId), { timeout: 60_000, interval: 200 })
        .toEqual([expect.objectContaining({ type: 'artifact.delivered', executionId })]);
      // The delivery and bus metrics docs/operations.md promises, on the services' endpoints as in distributed mode.
      const deliveryMetrics = bannerMetricsUrl(platform.output(), 'delivery');
      const webhook = { kind: 'webhook', service: 'delivery' };
      await expect.poll(async () => sample(await scrape(deliveryMetrics), 'rowline_deliveries_total', { ...webhook, outcome: 'succeeded' }), { timeout: 10_000, interval: 200 })
        .toBe(1);
      const fromDelivery = await scrape(deliveryMetrics);
      expect(sample(fromDelivery, 'rowline_delivery_attempts_total', { ...webhook, outcome: 'SUCCEEDED' })).toBe(1);
      expect(sample(fromDelivery, 'rowline_delivery_attempt_seconds_count', webhook)).toBe(1);
      expect(sample(fromDelivery, 'rowline_bus_messages_processed_total', { topic: 'executions.events', group: 'delivery-service', outcome: 'ok' })).toBeGreaterThan(0);
      const fromExecutions = await scrape(bannerMetricsUrl(platform.output(), 'executions'));
      expect(sample(fromExecutions, 'rowline_bus_messages_published_total', { topic: 'executions.events', event_type: 'succeeded', service: 'executions' })).toBe(1);
      expect(sample(fromExecutions, 'rowline_bus_messages_processed_total', { topic: 'executions.requested', group: 'engine-workers', outcome: 'ok' })).toBe(1);
    } finally {
      await platform.stop();
    }
  }, 180_000);

  it('refuses that webhook without DELIVERY_DEV_ALLOWED_HOSTS', async () => {
    const platform = await startEmbedded(db.url, {});
    try {
      const refused = await createHook(await signUp(platform.graphqlUrl), hookUrl);
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0]!.message).toMatch(/must use https/);
    } finally {
      await platform.stop();
    }
  }, 180_000);
});

describe('the embedded environment', () => {
  it('reads the delivery variables with the delivery service\'s defaults and checks', () => {
    const env = loadEnv(embeddedEnv, { DELIVERY_SMTP_URL: 'smtp://mail.example:587', DELIVERY_DEV_ALLOWED_HOSTS: 'localhost, 127.0.0.1' });
    expect(env).toMatchObject({
      DELIVERY_SMTP_URL: 'smtp://mail.example:587', DELIVERY_DEV_ALLOWED_HOSTS: ['localhost', '127.0.0.1'],
      DELIVERY_WORKERS: 2, DELIVERY_RETRY_SCHEDULE: { maxAttempts: 8 },
    });
    const problems = (() => { try { loadEnv(embeddedEnv, { NODE_ENV: 'production', DELIVERY_DEV_ALLOWED_HOSTS: 'localhost', DELIVERY_RETRY_SCHEDULE: 'soon' }); } catch (err) { return (err as EnvError).problems; } return []; })();
    expect(problems.join('\n')).toMatch(/DELIVERY_RETRY_SCHEDULE.*\n.*DELIVERY_DEV_ALLOWED_HOSTS: must be empty in production/);
  });
});
