import { buildSubgraph, type AuthedContext } from '@rowline/kit';
import type { ExecutionsDomain } from '../domain/executions.js';
import type { Execution } from '../store/entities.js';
import { ExecutionResolver, WorkflowExecutionsResolver } from './execution.resolver.js';
import { WorkflowRef } from './types.js';

export function buildExecutionsSchema(deps: { domain: ExecutionsDomain; cancel: (ctx: AuthedContext, id: string) => Promise<Execution> }) {
  return buildSubgraph({
    resolvers: [new ExecutionResolver(deps.domain, deps.cancel), new WorkflowExecutionsResolver(deps.domain)],
    // No field of this subgraph returns a Workflow, so without this the type (and `Workflow.executions`) is left out.
    orphanedTypes: [WorkflowRef],
    references: {
      Execution: { permission: 'executions:read', resolve: (ref, ctx) => deps.domain.get(ctx.em, ref.id) },
      // Only `executions` is resolved here, and it scopes by tenant itself.
      Workflow: { permission: 'executions:read', resolve: (ref) => ({ id: ref.id }) },
    },
  });
}
