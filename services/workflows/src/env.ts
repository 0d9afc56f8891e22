import { z } from 'zod';
import { baseEnv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';

export const workflowsEnv = baseEnv.extend({
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls: previews check the file there)'),
  /** The storage the files service writes uploads to (previews read them): STORAGE_DRIVER, STORAGE_DIR, S3_*. */
  ...storageEnv.shape,
  PREVIEW_MEMORY_MB: z.coerce.number().int().min(16).optional()
    .describe('What the previews of this process may hold together for blocking steps (default: a quarter of the V8 heap limit)'),
});
export type WorkflowsEnv = ReturnType<typeof workflowsEnv.parse>;
