import { createInternalClient, createServiceServer, internalRoute, migrate, type InternalTokens, type Logger, type Orm, tenantEm } from '@rowline/kit';
import { MemoryPool, ruleTypes, validateSteps } from '@rowline/engine';
import type { Storage } from '@rowline/storage';
import { createPreviewer, defaultPreviewMemoryBytes, type FileInfo } from './domain/preview.js';
import { createWorkflowsDomain } from './domain/workflows.js';
import { buildWorkflowsSchema } from './schema/index.js';

export const SERVICE = 'workflows';
export const SCHEMA = 'workflows';

/** Wires the workflows subgraph from its dependencies; `main.ts` and the embedded runner both use it. */
export async function createWorkflowsService(deps: {
  logger: Logger; orm: Orm; tokens: InternalTokens;
  /** Where uploaded files' bytes live (previews read them). */
  storage: Storage;
  /** Base URL of the files service: previews check the file there, with the caller's principal. */
  filesUrl: string;
  exposeInternalErrors?: boolean;
  /** What the previews of this process may hold together (PREVIEW_MEMORY_MB); the pool itself, or its size in bytes. */
  previewMemory?: MemoryPool | number;
}) {
  await migrate(deps.orm, SCHEMA);
  const domain = createWorkflowsDomain({ validateSteps });
  const files = createInternalClient({ tokens: deps.tokens, baseUrl: deps.filesUrl, audience: 'files' });
  // One pool for all the previews of the process: each preview is bounded on its own, this bounds them together.
  const previewMemory = deps.previewMemory instanceof MemoryPool ? deps.previewMemory : new MemoryPool(deps.previewMemory ?? defaultPreviewMemoryBytes());
  const preview = createPreviewer({
    domain, storage: deps.storage, memoryPool: previewMemory, logger: deps.logger,
    file: (principal, id) => files<FileInfo>(principal, `/internal/files/${encodeURIComponent(id)}`),
  });
  const schema = await buildWorkflowsSchema({ domain, ruleTypes, validateSteps, preview });
  const server = await createServiceServer({
    name: SERVICE,
    logger: deps.logger,
    schema,
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
    routes: (app) => {
      // The executions service snapshots a version's steps when a run starts.
      app.get('/internal/versions/:id', internalRoute({ tokens: deps.tokens, audience: SERVICE, logger: deps.logger }, async (principal, req) => {
        const em = tenantEm(deps.orm, principal.tenantId);
        const version = await domain.getVersion(em, String(req.params.id));
        return { id: version.id, workflowId: version.workflowId, number: version.number, steps: version.steps };
      }));
      // The delivery service checks that a workflow it routes artifacts of is the caller's.
      app.get('/internal/workflows/:id', internalRoute({ tokens: deps.tokens, audience: SERVICE, logger: deps.logger }, async (principal, req) => {
        const workflow = await domain.get(tenantEm(deps.orm, principal.tenantId), String(req.params.id));
        return { id: workflow.id };
      }));
      // A retry of a run on the workflow's latest version.
      app.get('/internal/workflows/:id/latest-version', internalRoute({ tokens: deps.tokens, audience: SERVICE, logger: deps.logger }, async (principal, req) => {
        const em = tenantEm(deps.orm, principal.tenantId);
        const workflow = await domain.get(em, String(req.params.id));
        const version = await domain.getVersion(em, workflow.latestVersionId ?? '');
        return { id: version.id, workflowId: version.workflowId, number: version.number, steps: version.steps };
      }));
    },
  });
  return { server, domain, previewMemory };
}
