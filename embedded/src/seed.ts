import type { Logger } from '@rowline/kit';
import { graphqlClient } from './client.js';
import { DEMO_STEPS, demoWorkbook } from './demo-workbook.js';

export const DEMO = { email: 'demo@rowline.local', password: 'rowline-demo-password', name: 'Demo User', tenantName: 'Demo' };
const WORKFLOW_NAME = 'Weekly sales summary';
const FILE_NAME = 'demo-sales.xlsx';

/**
 * Seeds a demo tenant, user, workflow and workbook through the public API, the way a user would. Safe
 * to run on every start: it creates only what is missing.
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

  const existing = await api.request(`{ workflows(first: 100) { edges { node { name } } } files(first: 100) { edges { node { name } } } }`);
  if (existing.errors) throw new Error(`Reading the demo data failed: ${JSON.stringify(existing.errors)}`);
  const names = (conn: { edges: Array<{ node: { name: string } }> }) => conn.edges.map((e) => e.node.name);
  if (!names(existing.data!.workflows).includes(WORKFLOW_NAME)) {
    const created = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
      { i: { name: WORKFLOW_NAME, description: 'Keep real sales over 100, sum them by region, biggest first.', steps: DEMO_STEPS } });
    if (created.errors) throw new Error(`Seeding the demo workflow failed: ${JSON.stringify(created.errors)}`);
    logger.info('seeded the demo workflow');
  }
  if (!names(existing.data!.files).includes(FILE_NAME)) {
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
