import type { Kind } from './tenant-fixtures.js';

/**
 * What each id-taking argument of the supergraph names. Generated cases come from the supergraph; this
 * table only says which kind of object to pass; a field missing from it fails cross-tenant.test.ts.
 */
export const ID_KINDS: Record<string, Kind> = {
  'Query.deliveries(executionId)': 'execution',
  'Query.delivery(id)': 'delivery',
  'Query.destination(id)': 'destination',
  'Query.execution(id)': 'execution',
  'Query.executionsByIds(ids)': 'execution',
  'Query.executions(filter.workflowId)': 'workflow',
  'Query.file(id)': 'file',
  'Query.workflow(id)': 'workflow',
  'Query.workflowVersion(id)': 'workflowVersion',
  'Query.diffWorkflowVersions(toId)': 'workflowVersion',
  'Query.diffWorkflowVersions(fromId)': 'workflowVersion',
  'Query.previewWorkflow(input.versionId)': 'workflowVersion',
  'Query.previewWorkflow(input.fileId)': 'file',
  'Query.previewWorkflow(input.files.fileId)': 'file',
  'Mutation.changeMemberRole(userId)': 'member',
  'Mutation.removeMember(userId)': 'member',
  'Mutation.updateDestination(input.id)': 'destination',
  'Mutation.deleteDestination(id)': 'destination',
  'Mutation.attachDestination(input.workflowId)': 'workflow',
  'Mutation.attachDestination(input.destinationId)': 'destination',
  'Mutation.detachDestination(input.workflowId)': 'workflow',
  'Mutation.detachDestination(input.destinationId)': 'destination',
  'Mutation.startExecution(input.workflowVersionId)': 'workflowVersion',
  'Mutation.startExecution(input.fileId)': 'file',
  'Mutation.startExecution(input.files.fileId)': 'file',
  'Mutation.cancelExecution(id)': 'execution',
  'Mutation.deleteFile(id)': 'file',
  'Mutation.saveWorkflowVersion(input.workflowId)': 'workflow',
  'Mutation.saveWorkflowVersion(input.baseVersionId)': 'workflowVersion',
  'Mutation.archiveWorkflow(id)': 'workflow',
  'Mutation.unarchiveWorkflow(id)': 'workflow',
  'Mutation.updateWorkflow(input.id)': 'workflow',
  'Mutation.restoreWorkflowVersion(versionId)': 'workflowVersion',
  'Mutation.revokeApiKey(id)': 'apiKey',
  'Mutation.rotateApiKey(id)': 'apiKey',
  'Mutation.redeliver(id)': 'delivery',
  'Mutation.testDestination(id)': 'destination',
  'Mutation.retryExecution(input.executionId)': 'execution',
};

