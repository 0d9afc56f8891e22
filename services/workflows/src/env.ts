import { z } from 'zod';
import { baseEnv } from '@rowline/kit';

export const workflowsEnv = baseEnv.extend({
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls: previews check the file there)'),
  STORAGE_DIR: z.string().min(1).describe('The storage directory the files service writes uploads to (previews read them)'),
});
export type WorkflowsEnv = ReturnType<typeof workflowsEnv.parse>;
