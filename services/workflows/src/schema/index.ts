import { buildSubgraph } from '@rowline/kit';
import type { StepValidator, WorkflowsDomain } from '../domain/workflows.js';
import type { Previewer } from '../domain/preview.js';
import type { RuleType } from './types.js';
import { RuleCatalogResolver, WorkflowResolver, WorkflowVersionResolver } from './workflow.resolver.js';

export function buildWorkflowsSchema(deps: { domain: WorkflowsDomain; ruleTypes: () => RuleType[]; validateSteps: StepValidator; preview: Previewer }) {
  return buildSubgraph({
    resolvers: [
      new WorkflowResolver(deps.domain),
      new WorkflowVersionResolver(deps.domain),
      new RuleCatalogResolver(deps.ruleTypes, deps.validateSteps, deps.preview),
    ],
    references: {
      Workflow: { permission: 'workflows:read', resolve: (ref, ctx) => deps.domain.get(ctx.em, ref.id) },
      WorkflowVersion: { permission: 'workflows:read', resolve: (ref, ctx) => deps.domain.getVersion(ctx.em, ref.id) },
    },
  });
}
