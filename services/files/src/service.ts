import type { Storage } from '@rowline/storage';
import { createServiceServer, migrate, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { createFilesDomain } from './domain/files.js';
import { createFileLinks } from './domain/links.js';
import { createRetention } from './domain/retention.js';
import { createUploads } from './domain/uploads.js';
import { createSweeper } from './worker/sweeper.js';
import type { FilesConfig } from './env.js';
import { answerUnmatchedInJson } from './http/fallbacks.js';
import { mountInternalRoutes } from './http/internal.js';
import { downloadHandler, uploadHandler } from './http/transfer.js';
import { createZipSandbox, INSPECT_LIMITS, type InspectLimits } from './inspect/index.js';
import { buildFilesSchema } from './schema/index.js';

export const SERVICE = 'files';
export const UPLOAD_REQUEST_TIMEOUT_MS = 60 * 60_000;
export const SCHEMA = 'files';

/** Wires the files subgraph and its HTTP endpoints from their dependencies; `main.ts` and the embedded runner both use it. */
export async function createFilesService(deps: {
  logger: Logger;
  orm: Orm;
  tokens: InternalTokens;
  storage: Storage;
  env: FilesConfig;
  /** Tests lower these to exercise the refusals cheaply. */
  inspectLimits?: InspectLimits;
  exposeInternalErrors?: boolean;
  /** The clock retention reads; tests move it forward instead of waiting. */
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  await migrate(deps.orm, SCHEMA);
  const links = createFileLinks({
    secret: deps.env.FILE_URL_SECRET,
    publicUrl: deps.env.PUBLIC_URL,
    uploadTtlSeconds: deps.env.UPLOAD_URL_TTL_SECONDS ?? 900,
    downloadTtlSeconds: deps.env.DOWNLOAD_URL_TTL_SECONDS ?? 300,
  });
  const maxUploadBytes = deps.env.MAX_UPLOAD_BYTES;
  const retention = createRetention({
    now,
    defaults: {
      inputTtlSeconds: (deps.env.INPUT_TTL_HOURS ?? 24) * 3600,
      artifactTtlSeconds: (deps.env.ARTIFACT_TTL_DAYS ?? 30) * 86_400,
      maxStoredBytes: deps.env.QUOTA_STORED_BYTES ?? 10 * 1024 ** 3,
      maxUploadBytes: Math.min(deps.env.QUOTA_UPLOAD_BYTES ?? maxUploadBytes, maxUploadBytes),
    },
  });
  const domain = createFilesDomain({ storage: deps.storage, links, maxUploadBytes, logger: deps.logger, retention });
  const limits = deps.inspectLimits ?? INSPECT_LIMITS;
  const uploads = createUploads({ orm: deps.orm, storage: deps.storage, maxUploadBytes, limits, retention, sandbox: createZipSandbox(limits.sandbox), logger: deps.logger });
  const server = await createServiceServer({
    name: SERVICE,
    // A 200 MiB upload at 100 KB/s takes about 35 minutes; the link itself expires long before a stall matters.
    requestTimeoutMs: UPLOAD_REQUEST_TIMEOUT_MS,
    logger: deps.logger,
    schema: await buildFilesSchema({ domain, retention }),
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
    routes: (app) => {
      app.put('/files/upload/:token', uploadHandler({ links, uploads, logger: deps.logger }));
      app.get('/files/download/:token', downloadHandler({ links, orm: deps.orm, storage: deps.storage, logger: deps.logger }));
      mountInternalRoutes(app, { audience: SERVICE, orm: deps.orm, tokens: deps.tokens, storage: deps.storage, domain, retention, logger: deps.logger });
      answerUnmatchedInJson(app, ['/files', '/internal'], deps.logger);
    },
  });
  // Started by main.ts and the embedded runner (tests call sweepOnce with a moved clock).
  const sweeper = createSweeper({ orm: deps.orm, storage: deps.storage, logger: deps.logger, now, intervalMs: (deps.env.SWEEP_INTERVAL_SECONDS ?? 300) * 1000 });
  return { server, domain, links, sweeper, retention };
}
