import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Storage } from '@rowline/storage';
import { AppError, badInput, forbidden, internalRoute, sendError, isUuid, notFound, tenantEm, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { registerArtifact } from '../domain/artifacts.js';
import type { FilesDomain } from '../domain/files.js';
import type { Retention } from '../domain/retention.js';
import { fileForCheck } from '../store/file-check.js';

const artifactBody = z.object({
  executionId: z.string().uuid(),
  // Its length is cleanFileName's to check (registerArtifact), measured as the engine measures it (MAX_FILE_NAME_LENGTH).
  name: z.string().min(1),
  storageKey: z.string().min(1).max(512),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters'),
  contentType: z.string().min(1).max(255),
});

const bytes = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();
const quotaBody = z.object({ maxStoredBytes: bytes, maxUploadBytes: bytes });

/** Service-to-service endpoints (internal token, audience `files`); the gateway never proxies `/internal`. */
export function mountInternalRoutes(app: Express, deps: { audience: string; orm: Orm; tokens: InternalTokens; storage: Storage; domain: FilesDomain; retention: Retention; logger: Logger }) {
  const route = (handler: Parameters<typeof internalRoute>[1]) => internalRoute({ tokens: deps.tokens, audience: deps.audience, logger: deps.logger }, handler);

  // The executions service checks a run's input file here at startExecution and accepts only READY files, whose
  // sheets the steps must find (sheetNames).
  // `?link=false` leaves the download link out: signing it is most of this route's work, and a check has no use for it.
  app.get('/internal/files/:id', route(async (principal, req) => {
    const id = String(req.params.id);
    const file = isUuid(id) ? await fileForCheck(deps.orm.em, principal.tenantId, id) : null;
    if (!file) throw notFound('File', id);
    return {
      id: file.id, name: file.name, status: file.status, kind: file.kind, contentType: file.contentType,
      size: file.size, storageKey: file.storageKey, sha256: file.sha256, sheetNames: file.sheetNames,
      ...(req.query.link === 'false' ? {} : { downloadUrl: await deps.domain.downloadUrl(file) }),
    };
  }));

  // Engine workers register what they wrote for a run; a redone run gets the same id back. Workers ask with
  // `?link=false`: they keep only the id.
  app.post('/internal/artifacts', jsonBody(deps.logger), route(async (principal, req) => {
    const parsed = artifactBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badInput(`${issue.path.join('.') || 'body'}: ${issue.message}`, { field: issue.path.join('.') });
    }
    const em = tenantEm(deps.orm, principal.tenantId);
    const file = await registerArtifact(em, deps.storage, principal, parsed.data, deps.retention.artifactExpiryBasis());
    return { id: file.id, ...(req.query.link === 'false' ? {} : { downloadUrl: await deps.domain.downloadUrl(file) }) };
  }));

  // The operator (a service token of the tenant concerned) sets that tenant's quotas; null means the default.
  app.put('/internal/file-quota', jsonBody(deps.logger), route(async (principal, req) => {
    if (principal.kind !== 'service') throw forbidden('Only services set quotas');
    const parsed = quotaBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badInput(`${issue.path.join('.') || 'body'}: ${issue.message}`, { field: issue.path.join('.') });
    }
    const em = tenantEm(deps.orm, principal.tenantId);
    await deps.retention.setQuota(em, principal.tenantId, parsed.data);
    return deps.retention.usage(em, principal.tenantId);
  }));
}

/** express.json, but a malformed or oversized body answers in the same `{error: {code, message}}` shape as every other failure. */
function jsonBody(logger: Logger): RequestHandler {
  const parse = express.json({ limit: '16kb' });
  return (req, res, next) => parse(req, res, (err?: unknown) => {
    if (!err) { next(); return; }
    const tooLarge = (err as { type?: string }).type === 'entity.too.large';
    sendError(res, tooLarge ? new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large') : badInput('The request body is not valid JSON'), logger);
  });
}
