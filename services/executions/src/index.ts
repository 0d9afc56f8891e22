export { createExecutionsService, SERVICE, SCHEMA, EXECUTION_TOPICS } from './service.js';
export { createEngineWorkers, ENGINE_GROUP } from './worker/engine-workers.js';
export { executionsEnv, workerEnv } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildExecutionsSchema } from './schema/index.js';
export type { WorkerOptions } from './worker/engine-worker.js';
export type { FaultPoint } from './worker/fault-points.js';
