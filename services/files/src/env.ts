import { z } from 'zod';
import { baseEnv } from '@rowline/kit';
import { storageEnv } from '@rowline/storage';

const MiB = 1024 * 1024;

export const filesEnv = baseEnv.extend({
  /** Base URL clients use to reach `/files/...` (in the embedded mode, the gateway proxies `/files/*` here). */
  PUBLIC_URL: z.string().url().transform((url) => url.replace(/\/+$/, '')),
  /** Signs upload and download links; distinct from INTERNAL_TOKEN_SECRET so a leaked link key grants no API access. */
  FILE_URL_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Where file bytes live: STORAGE_DRIVER (local|s3), STORAGE_DIR, S3_* (see @rowline/storage). */
  ...storageEnv.shape,
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(200 * MiB),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
});
export type FilesEnv = z.infer<typeof filesEnv>;

/** What the service itself needs from the environment; the embedded runner passes the same shape. */
export type FilesConfig = Pick<FilesEnv, 'PUBLIC_URL' | 'FILE_URL_SECRET' | 'MAX_UPLOAD_BYTES'>
  & Partial<Pick<FilesEnv, 'UPLOAD_URL_TTL_SECONDS' | 'DOWNLOAD_URL_TTL_SECONDS'>>;
