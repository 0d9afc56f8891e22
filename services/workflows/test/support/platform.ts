import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphqlClient, startPlatform } from '@rowline/embedded';
import type { MemoryPool } from '@rowline/engine';
import { createTestDatabase } from '@rowline/testing';

/**
 * The whole platform in-process (gateway, files, workflows, ...), on this file's own database: a preview
 * reads a file uploaded through the files service, so the workflows service alone is not enough.
 */
export async function startPreviewPlatform(opts: {
  /** What the workflows service's previews may hold together (a pool the test keeps, or bytes). */
  previewMemory?: MemoryPool | number;
} = {}) {
  const db = await createTestDatabase('workflows_preview');
  const dataDir = await mkdtemp(join(tmpdir(), 'rowline-workflows-preview-'));
  const platform = await startPlatform({
    databaseUrl: db.url, dataDir, port: 0, logLevel: 'silent', workflows: { previewMemory: opts.previewMemory },
    secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
  });

  /** Signs up a new tenant (its first user is an OWNER) and answers a client for it. */
  async function tenant(name = 'Acme') {
    const api = graphqlClient(platform.graphqlUrl);
    const res = await api.request(`mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }`,
      { i: { email: `${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada', tenantName: name } });
    if (res.errors) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
    api.setToken(res.data!.signUp.accessToken);
    return {
      api,
      /** Creates an upload; with `body` the bytes are sent too (the file becomes READY), without it stays UPLOADING. */
      async upload(name: string, body?: string | Buffer) {
        const size = body === undefined ? 10 : Buffer.byteLength(body);
        const contentType = name.endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
        const res = await api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
          { i: { name, contentType, size } });
        if (res.errors) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
        if (body !== undefined) {
          const put = await fetch(res.data!.createUpload.uploadUrl, { method: 'PUT', body });
          if (put.status !== 200) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
        }
        return res.data!.createUpload.file.id as string;
      },
      async workflow(steps: unknown[]) {
        const res = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } version { id } } }`,
          { i: { name: 'Preview me', steps } });
        if (res.errors) throw new Error(`createWorkflow failed: ${JSON.stringify(res.errors)}`);
        return { workflowId: res.data!.createWorkflow.workflow.id as string, versionId: res.data!.createWorkflow.version.id as string };
      },
    };
  }

  return {
    platform,
    tenant,
    async stop() {
      await platform.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
export type PreviewPlatform = Awaited<ReturnType<typeof startPreviewPlatform>>;
export type PreviewTenant = Awaited<ReturnType<PreviewPlatform['tenant']>>;
