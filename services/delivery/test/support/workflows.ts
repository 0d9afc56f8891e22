import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrm, INTERNAL_TOKEN_HEADER, type InternalTokens, type Logger } from '@rowline/kit';
import { createLocalStorage } from '@rowline/storage';
import * as workflows from '@rowline/workflows';

const STEPS = [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }];

/**
 * The real workflows service on the delivery test's database: attachDestination asks it whether a workflow
 * is the caller's, so routes need real workflows. Previews are never asked for here, so its files service
 * URL (previews only) points nowhere.
 */
export async function startWorkflows(deps: { url: string; tokens: InternalTokens; logger: Logger; filesUrl?: string }) {
  const orm = await createOrm({ url: deps.url, schema: workflows.SCHEMA, entities: workflows.entities, migrations: workflows.migrations, logger: deps.logger });
  const svc = await workflows.createWorkflowsService({
    logger: deps.logger, orm, tokens: deps.tokens,
    storage: createLocalStorage(mkdtempSync(join(tmpdir(), 'delivery-workflows-'))), filesUrl: deps.filesUrl ?? 'http://127.0.0.1:9',
  });
  const url = `http://127.0.0.1:${await svc.server.listen(0, '127.0.0.1')}`;
  return {
    url,
    /** A new workflow of `tenantId`, created through the workflows subgraph by its owner; answers its id. */
    async create(tenantId: string, name = 'Routed workflow'): Promise<string> {
      const token = await deps.tokens.sign({ kind: 'user', tenantId, subject: 'user-1', role: 'OWNER', scopes: [] }, 'workflows');
      const res = await fetch(`${url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
        body: JSON.stringify({ query: 'mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }', variables: { i: { name, steps: STEPS } } }),
      });
      const body = (await res.json()) as { data?: { createWorkflow: { workflow: { id: string } } }; errors?: unknown };
      if (!body.data) throw new Error(`createWorkflow failed: ${JSON.stringify(body.errors)}`);
      return body.data.createWorkflow.workflow.id;
    },
    async stop() {
      await svc.server.close();
      await orm.close();
    },
  };
}
