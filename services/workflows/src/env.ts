import { z } from 'zod';
import { baseEnv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';

export const workflowsEnv = baseEnv.extend({
  FILES_URL: z.string().url().describe('Base URL of the files service (internal calls: previews check the file there)'),
  /** The storage the files service writes uploads to (previews read them): STORAGE_DRIVER, STORAGE_DIR, S3_*. */
  ...storageEnv.shape,
});
export type WorkflowsEnv = ReturnType<typeof workflowsEnv.parse>;
