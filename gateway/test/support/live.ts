import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { demoWorkbook, graphqlClient, type GraphQLClient } from '@rowline/embedded';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { all: [{ column: 'amount', op: 'gt', value: 100 }] } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }] } },
  { type: 'output', params: { artifacts: [{ name: 'summary.csv', format: 'csv', sheets: [{ from: 'Summary' }] }] } },
];

export type Result = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
export type CloseInfo = { code: number; reason: string };

/** A graphql-ws client (the `ws` package as its WebSocket) that records how its socket closed. */
export function liveClient(httpUrl: string, connectionParams: Record<string, unknown>) {
  const closes: CloseInfo[] = [];
  let closed: (c: CloseInfo) => void;
  const firstClose = new Promise<CloseInfo>((r) => { closed = r; });
  const client: Client = createClient({
    url: new URL('/graphql', httpUrl.replace(/^http/, 'ws')).href, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: false,
    on: { closed: (e) => { const c = { code: (e as CloseEvent).code, reason: String((e as CloseEvent).reason) }; closes.push(c); closed(c); } },
    onNonLazyError: () => {},
  });
  return { client, closes, firstClose };
}

/**
 * Subscribes and collects every result until the subscription completes, errs, or `stop` accepts a result.
 * `done` resolves with all results (rejects on a socket-level error).
 */
export function collect(client: Client, query: string, variables: Record<string, unknown> = {}, stop?: (r: Result) => boolean) {
  const results: Result[] = [];
  let dispose = () => {};
  const done = new Promise<Result[]>((resolve, reject) => {
    dispose = client.subscribe<any>({ query, variables }, {
      next: (r) => { results.push(r as Result); if (stop?.(r as Result)) { dispose(); resolve(results); } },
      error: (err) => (Array.isArray(err) ? resolve([...results, { errors: err }]) : reject(err)),
      complete: () => resolve(results),
    });
  });
  return { results, done, dispose: () => dispose() };
}

/** Polls the gateway's /metrics until `metric` (summed over labels matching `labels`) reaches `value`. */
export async function metricReaches(httpUrl: string, metric: string, value: number, labels = ''): Promise<void> {
  for (;;) {
    if (await metricValue(httpUrl, metric, labels) >= value) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A tenant with a workflow and an uploaded workbook, ready to start runs. */
export async function tenantWithWorkflow(graphqlUrl: string, tenantName: string) {
  const api: GraphQLClient = graphqlClient(graphqlUrl);
  const signUp = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } tenant { id } } }`,
    { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName } });
  if (!signUp.data) throw new Error(`sign-up failed: ${JSON.stringify(signUp.errors)}`);
  const token = signUp.data.signUp.accessToken as string;
  api.setToken(token);
  const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id latestVersion { id } } } }`,
    { i: { name: `${tenantName} sales by region`, steps: STEPS } });
  if (!created.data) throw new Error(`createWorkflow failed: ${JSON.stringify(created.errors)}`);
  const bytes = await demoWorkbook();
  const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.xlsx', contentType: XLSX, size: bytes.length } });
  const put = await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status}`);
  const workflowId = created.data.createWorkflow.workflow.id as string;
  const versionId = created.data.createWorkflow.workflow.latestVersion.id as string;
  const fileId = upload.data!.createUpload.file.id as string;
  return {
    api, token, tenantId: signUp.data.signUp.tenant.id as string, userId: signUp.data.signUp.user.id as string, workflowId, fileId,
    /** A run of the workflow (or of another version of the tenant's) on the uploaded workbook. */
    async startRun(opts: { versionId?: string; timeoutSeconds?: number } = {}): Promise<string> {
      const res = await api.request(`mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
        { i: { workflowVersionId: opts.versionId ?? versionId, fileId, idempotencyKey: randomUUID(), timeoutSeconds: opts.timeoutSeconds } });
      if (!res.data) throw new Error(`startExecution failed: ${JSON.stringify(res.errors)}`);
      return res.data.startExecution.id as string;
    },
  };
}

/** The current value of `metric` on a gateway's /metrics (summed over the lines that contain `labels`). */
export async function metricValue(httpUrl: string, metric: string, labels = ''): Promise<number> {
  const text = await (await fetch(new URL('/metrics', httpUrl))).text();
  return text.split('\n').filter((l) => l.startsWith(metric) && l.includes(labels) && (l[metric.length] === ' ' || l[metric.length] === '{'))
    .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** The key auth signs access tokens with, read from its table: lets a test mint a token that expires soon. */
export async function signingKey(databaseUrl: string): Promise<{ kid: string; key: KeyObject }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ kid: string; private_pkcs8: string }>(
      'select kid, private_pkcs8 from auth.signing_keys where retired_at is null order by created_at desc limit 1');
    return { kid: rows[0]!.kid, key: createPrivateKey(rows[0]!.private_pkcs8) };
  } finally {
    await client.end();
  }
}

/**
 * A bare graphql-transport-ws socket with one subscription, for what a well-behaved client library
 * hides: a client that stops reading (`pause`) and the exact close code.
 */
export async function rawSubscriber(httpUrl: string, token: string, query: string, variables: Record<string, unknown>) {
  const ws = new WebSocket(new URL('/graphql', httpUrl.replace(/^http/, 'ws')), 'graphql-transport-ws');
  const closed = new Promise<CloseInfo>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const messages: any[] = [];
  const acked = new Promise<void>((resolve) => ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    messages.push(m);
    if (m.type === 'connection_ack') resolve();
  }));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  return { ws, closed, messages };
}
