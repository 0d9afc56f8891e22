import type { Logger } from '@rowline/kit';
import { graphqlClient, type GraphQLClient } from './client.js';
import { DEMO_STEPS, demoWorkbook } from './demo-workbook.js';

export const DEMO = { email: 'demo@rowline.local', password: 'rowline-demo-password', name: 'Demo User', tenantName: 'Demo' };
const WORKFLOW_NAME = 'Weekly sales summary';
const FILE_NAME = 'demo-sales.xlsx';
/** A demo workbook that would expire within this long of a start is uploaded again, so the demo runs that day. */
const FILE_MIN_LIFE_MS = 3_600_000;

/**
 * Seeds a demo tenant, user, workflow and workbook through the public API, the way a user would. Safe
 * to run on every start: it creates only what is missing, and uploads the workbook again once the one it
 * uploaded before has expired (or is about to).
 */
export async function seedDemo(graphqlUrl: string, logger: Logger): Promise<{ tenantSlug: string }> {
  const api = graphqlClient(graphqlUrl);
  let session = await api.request(`mutation($i: LogInInput!) { logIn(input: $i) { accessToken tenant { slug } } }`,
    { i: { email: DEMO.email, password: DEMO.password } });
  if (!session.data) {
    session = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken tenant { slug } } }`, { i: DEMO });
    if (!session.data) throw new Error(`Seeding the demo user failed: ${JSON.stringify(session.errors)}`);
    logger.info('seeded the demo tenant and user');
  }
  const payload = (session.data.logIn ?? session.data.signUp) as { accessToken: string; tenant: { slug: string } };
  api.setToken(payload.accessToken);

  if (!(await anyNode<{ name: string }>(api, { field: 'workflows', selection: 'name' }, (w) => w.name === WORKFLOW_NAME))) {
    const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
      { i: { name: WORKFLOW_NAME, description: 'Keep real sales over 100, sum them by region, biggest first.', steps: DEMO_STEPS } });
    if (created.errors) throw new Error(`Seeding the demo workflow failed: ${JSON.stringify(created.errors)}`);
    logger.info('seeded the demo workflow');
  }
  if (!(await hasLiveDemoFile(api))) {
    const bytes = await demoWorkbook();
    const upload = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { uploadUrl } }`,
      { i: { name: FILE_NAME, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: bytes.length } });
    if (upload.errors) throw new Error(`Seeding the demo workbook failed: ${JSON.stringify(upload.errors)}`);
    const put = await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
    if (!put.ok) throw new Error(`Uploading the demo workbook failed: ${put.status} ${await put.text()}`);
    logger.info('seeded the demo workbook');
  }
  return { tenantSlug: payload.tenant.slug };
}

/**
 * Whether a READY demo workbook will outlive this start by FILE_MIN_LIFE_MS. Inputs expire after the tenant's
 * retention (24 h by default), and the sweeper marks them EXPIRED only on its next round: the expiry is
 * reckoned from `createdAt`, a little before the file became READY, so it errs towards uploading again.
 */
async function hasLiveDemoFile(api: GraphQLClient): Promise<boolean> {
  const quota = await api.request(`{ fileQuota { inputTtlHours } }`);
  if (quota.errors) throw new Error(`Reading the demo data failed: ${JSON.stringify(quota.errors)}`);
  const lifeMs = (quota.data!.fileQuota.inputTtlHours as number) * 3_600_000;
  const liveAfter = Date.now() + FILE_MIN_LIFE_MS - lifeMs;
  return anyNode<{ name: string; status: string; createdAt: string }>(api, { field: 'files', args: 'kind: INPUT, ', selection: 'name status createdAt' },
    (f) => f.name === FILE_NAME && f.status === 'READY' && Date.parse(f.createdAt) > liveAfter);
}

/** Whether a node of the connection `list.field` matches, reading every page (a first page alone misses the rest). */
async function anyNode<T>(api: GraphQLClient, list: { field: string; args?: string; selection: string }, match: (node: T) => boolean): Promise<boolean> {
  let after: string | null = null;
  for (;;) {
    const page = await api.request(`query($after: String) { list: ${list.field}(${list.args ?? ''}first: 100, after: $after) {
      edges { node { ${list.selection} } } pageInfo { hasNextPage endCursor } } }`, { after });
    if (page.errors) throw new Error(`Reading the demo data failed: ${JSON.stringify(page.errors)}`);
    const { edges, pageInfo } = page.data!.list as { edges: Array<{ node: T }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    if (edges.some((e) => match(e.node))) return true;
    // A next page without a cursor to it would start the walk over, for ever.
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) return false;
    after = pageInfo.endCursor;
  }
}
