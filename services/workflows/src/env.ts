import { baseEnv } from '@rowline/kit';

export const workflowsEnv = baseEnv.extend({});
export type WorkflowsEnv = ReturnType<typeof workflowsEnv.parse>;
