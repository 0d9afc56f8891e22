import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TestPlatform } from './platform.js';

const STEPS = [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }];
const CSV = 'region,amount\nEU,10\nUS,20\n';

/** What an id argument can name; every id-taking field of the supergraph maps its arguments to one of these. */
export type Kind = 'workflow' | 'workflowVersion' | 'file' | 'execution' | 'destination' | 'delivery' | 'member' | 'apiKey';

export type SeededTenant = Awaited<ReturnType<TestPlatform['signUp']>> & { ids: Record<Kind, string> };

async function must<T = any>(t: TestPlatform, token: string, query: string, variables: object = {}): Promise<T> {
  const reply = await t.post<T>(query, { token, variables });
  if (!reply.data || reply.errors?.length) throw new Error(`${query.slice(0, 60)} failed: ${JSON.stringify(reply.errors)}`);
  return reply.data;
}

/**
 * A tenant holding one real object of every kind, made through the gateway the way a client makes them
 * (the delivery ledger row excepted: deliveries come from a worker, so it is written to delivery's table).
 */
export async function seedTenant(t: TestPlatform, name: string): Promise<SeededTenant> {
  const owner = await t.signUp(name);
  const token = owner.accessToken;
  const created = await must(t, token, `mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } version { id } } }`,
    { i: { name: `${name} workflow`, steps: STEPS } });
  const workflow = created.createWorkflow.workflow.id as string;
  const saved = await must(t, token, `mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id } }`,
    { i: { workflowId: workflow, baseVersionId: created.createWorkflow.version.id, steps: STEPS, note: 'second' } });
  const workflowVersion = saved.saveWorkflowVersion.id as string;

  const upload = await must(t, token, `mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name: 'Sales.csv', contentType: 'text/csv', size: Buffer.byteLength(CSV) } });
  const put = await fetch(upload.createUpload.uploadUrl, { method: 'PUT', body: CSV });
  if (!put.ok) throw new Error(`upload failed: HTTP ${put.status}`);
  const file = upload.createUpload.file.id as string;

  const started = await must(t, token, `mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }`,
    { i: { workflowVersionId: workflowVersion, fileId: file, idempotencyKey: randomUUID() } });
  const execution = started.startExecution.id as string;
  // The run must settle before the matrix starts, so "nothing changed" compares still states.
  for (let i = 0; ; i++) {
    const { execution: run } = await must(t, token, 'query($id: ID!) { execution(id: $id) { status } }', { id: execution });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(run.status)) break;
    if (i > 300) throw new Error(`run ${execution} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const dest = await must(t, token, `mutation($i: CreateDestinationInput!) { createDestination(input: $i) { id } }`,
    { i: { name: `${name} hook`, kind: 'WEBHOOK', config: { url: `https://${name.toLowerCase()}.example.com/hook`, secret: `secret-of-${name}-0123456789` } } });
  const destination = dest.createDestination.id as string;
  await must(t, token, `mutation($i: AttachDestinationInput!) { attachDestination(input: $i) { id } }`, { i: { workflowId: workflow, destinationId: destination } });

  const delivery = randomUUID();
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await client.query(`insert into delivery.deliveries (id, tenant_id, execution_id, workflow_id, route_id, destination_id, artifact_file_id,
      artifact_name, status, idempotency_key, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, 'out.csv', 'FAILED', $8, now(), now())`,
    [delivery, owner.tenantId, execution, workflow, randomUUID(), destination, randomUUID(), randomUUID()]);
  } finally {
    await client.end();
  }

  const email = `member-${randomUUID()}@example.com`;
  const invited = await must(t, token, `mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }`, { i: { email, role: 'MEMBER' } });
  const joined = await t.post(`mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { user { id } } }`,
    { variables: { i: { token: invited.inviteMember.token, password: owner.password, name: 'Member' } } });
  const member = joined.data!.acceptInvitation.user.id as string;

  const key = await must(t, token, `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
    { i: { name: `${name} partner key`, scopes: ['executions:read'] } });
  const apiKey = key.createApiKey.apiKey.id as string;

  return { ...owner, ids: { workflow, workflowVersion, file, execution, destination, delivery, member, apiKey } };
}

/** Everything of a tenant a matrix call could change, as its owner reads it. */
export async function snapshot(t: TestPlatform, tenant: SeededTenant): Promise<unknown> {
  return must(t, tenant.accessToken, `{
    workflows(first: 100, includeArchived: true) { edges { node { id name description status updatedAt latestVersion { id number } } } }
    files(first: 100) { edges { node { id name status } } }
    executions(first: 100) { edges { node { id status attempt finishedAt } } }
    destinations(first: 100) { edges { node { id name enabled config updatedAt routes(first: 5) { edges { node { id workflowId artifactPattern } } } } } }
    deliveries(first: 100) { edges { node { id status } } }
    members(first: 100) { edges { node { role user { id } } } }
    apiKeys(first: 100) { edges { node { id name scopes expiresAt revokedAt } } }
    fileQuota { maxStoredBytes maxUploadBytes inputTtlHours artifactTtlDays }
  }`);
}
