import type { Request, RequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Storage } from '@rowline/storage';
import { StorageError } from '@rowline/storage';
import { badInput, isUuid, notFound, sendError, tenantEm, type Logger, type Orm } from '@rowline/kit';
import type { FileLinks } from '../domain/links.js';
import type { Uploads } from '../domain/uploads.js';
import { FileEntity } from '../store/entities.js';
import { contentDisposition } from './content-disposition.js';

/**
 * `PUT /files/upload/:token`: the bytes of an upload. The signed token is the only credential: it names the
 * file and tenant, and it expires.
 */
export function uploadHandler(deps: { links: FileLinks; uploads: Uploads; logger: Logger }): RequestHandler {
  return async (req, res) => {
    try {
      const claims = await deps.links.verify(String(req.params.token), 'upload');
      if (isMultipart(req)) throw badInput(MULTIPART_MESSAGE, { header: 'content-type' });
      const file = await deps.uploads.receive(claims, req, contentLength(req));
      res.json({ file: { id: file.id, status: file.status, size: file.size, sha256: file.sha256 } });
    } catch (err) {
      // Refused before the body was read: close the connection rather than read (and discard) the rest.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      sendError(res, err, deps.logger);
    }
  };
}

/** `GET /files/download/:token`: the stored bytes, as an attachment that browsers must not render or sniff. */
export function downloadHandler(deps: { links: FileLinks; orm: Orm; storage: Storage; logger: Logger }): RequestHandler {
  return async (req, res) => {
    try {
      const claims = await deps.links.verify(String(req.params.token), 'download');
      const em = tenantEm(deps.orm, claims.tenantId);
      const file = isUuid(claims.fileId) ? await em.findOne(FileEntity, { id: claims.fileId }) : null;
      if (!file || file.status !== 'READY') throw notFound('File', claims.fileId);
      const body = await deps.storage.get(file.storageKey).catch((err: unknown) => {
        throw err instanceof StorageError && err.code === 'NOT_FOUND' ? notFound('File', file.id) : err;
      });
      // setHeader, not Express's res.set: the stored content type goes out exactly as detected.
      res.statusCode = 200;
      res.setHeader('content-type', file.contentType ?? 'application/octet-stream');
      res.setHeader('content-length', String(file.size));
      res.setHeader('content-disposition', contentDisposition(file.name));
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-security-policy', "default-src 'none'; sandbox");
      res.setHeader('cache-control', 'private, no-store');
      if (file.sha256) res.setHeader('etag', `"${file.sha256}"`);
      await pipeline(body, res).catch((err: unknown) => deps.logger.warn({ err, fileId: file.id }, 'download interrupted'));
    } catch (err) {
      sendError(res, err, deps.logger);
    }
  };
}

/**
 * The body of an upload is the file's bytes, nothing else. A multipart form (curl -F) wraps them in part
 * headers and boundaries: it is longer than the declared size (413 "larger than the N bytes declared", which
 * sent people hunting for a size problem) or, when it fits, stored and inspected as a damaged file. Refused
 * before a byte is read; the link stays usable.
 */
export const MULTIPART_MESSAGE =
  "This upload is multipart/form-data (as curl -F sends): send the file's raw bytes as the request body instead, e.g. curl -T report.xlsx '<uploadUrl>' or curl -X PUT --data-binary @report.xlsx '<uploadUrl>'";

function isMultipart(req: Request): boolean {
  return /^\s*multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

function contentLength(req: Request): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}
