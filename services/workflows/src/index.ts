export { createWorkflowsService, SERVICE, SCHEMA } from './service.js';
export { workflowsEnv } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildWorkflowsSchema } from './schema/index.js';
