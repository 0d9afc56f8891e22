import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { StorageError, type Storage } from '@rowline/storage';
import { AppError, badInput, conflict, isUuid, notFound, tenantEm, type Logger, type Orm } from '@rowline/kit';
import { CsvScanner, judge, type InspectLimits, type ZipSandbox } from '../inspect/index.js';
import { sniff } from '../inspect/sniff.js';
import { withLocalCopy } from '../inspect/spool.js';
import { FileEntity, type File } from '../store/entities.js';
import { formatOfName } from './file-names.js';
import type { LinkClaims } from './links.js';
import type { Retention } from './retention.js';

/** Long enough for a slow link to send the largest file; it only matters if the process dies mid-upload. */
const LEASE_MS = 60 * 60 * 1000;
const HEAD_BYTES = 4096;

export type Uploads = ReturnType<typeof createUploads>;

/**
 * Receives the bytes of an upload: streams them to storage (capped at the declared size, hashed on the
 * way, never held whole in memory), inspects them, and settles the file as READY or REJECTED.
 */
export function createUploads(deps: { orm: Orm; storage: Storage; maxUploadBytes: number; limits: InspectLimits; sandbox: ZipSandbox; retention: Retention; logger: Logger }) {
  return {
    async receive(claims: LinkClaims, body: Readable, contentLength: number | undefined): Promise<File> {
      const em = tenantEm(deps.orm, claims.tenantId);
      const file = isUuid(claims.fileId) ? await em.findOne(FileEntity, { id: claims.fileId }) : null;
      if (!file || file.status === 'DELETED') throw notFound('File', claims.fileId);
      if (file.status !== 'UPLOADING' || file.kind !== 'INPUT') throw conflict(`This file is ${file.status.toLowerCase()} and takes no more uploads`, { status: file.status });
      const cap = Math.min(file.size, deps.maxUploadBytes);
      if (contentLength !== undefined && contentLength > cap) throw tooLarge(cap);
      // Checked again here: the quota may have been lowered, or other files uploaded, since createUpload.
      await em.transactional(async (tx) => {
        await deps.retention.lockTenant(tx, file.tenantId);
        await deps.retention.assertRoom(tx, file.tenantId, file.size, file.id);
      });

      const lease = randomUUID();
      const now = new Date();
      const claimed = await em.nativeUpdate(
        FileEntity,
        { id: file.id, tenantId: file.tenantId, status: 'UPLOADING', $or: [{ uploadLeaseId: null }, { uploadLeaseUntil: { $lt: now } }] },
        { uploadLeaseId: lease, uploadLeaseUntil: new Date(now.getTime() + LEASE_MS) },
      );
      if (claimed !== 1) throw conflict('Another upload of this file is in progress');
      const release = () => em.nativeUpdate(FileEntity, { id: file.id, tenantId: file.tenantId, uploadLeaseId: lease }, { uploadLeaseId: null, uploadLeaseUntil: null });

      let stored;
      const scanner = new CsvScanner(deps.limits.csv);
      const head: Buffer[] = [];
      let headBytes = 0;
      // Bytes whose signature says zip (or PDF, PNG...) are never judged as csv: they skip the csv scan.
      let csvWanted: boolean | undefined;
      try {
        stored = await deps.storage.put(file.storageKey, tap(body, (chunk) => {
          if (headBytes < HEAD_BYTES) { head.push(chunk.subarray(0, HEAD_BYTES - headBytes)); headBytes += head.at(-1)!.length; }
          if (csvWanted === undefined && headBytes >= 8) csvWanted = sniff(Buffer.concat(head)).kind === 'unknown';
          if (csvWanted !== false) scanner.push(chunk);
        }), { maxBytes: cap });
      } catch (err) {
        await release();
        if (err instanceof StorageError && err.code === 'TOO_LARGE') throw tooLarge(cap);
        throw err;
      }
      try {
        if (stored.size !== file.size) {
          throw badInput(`The upload has ${stored.size} bytes but ${file.size} were declared`, { field: 'size' });
        }
        const verdict = await judge({
          name: file.name, format: formatOfName(file.name) ?? 'csv', head: Buffer.concat(head),
          csv: scanner.finish(), limits: deps.limits, sandbox: deps.sandbox, withCopy: (fn) => withLocalCopy(deps.storage, file.storageKey, fn),
        });
        const expiresAt = verdict.status === 'READY' ? await deps.retention.inputExpiry(em, file.tenantId) : null;
        const settled = await em.nativeUpdate(
          FileEntity,
          { id: file.id, tenantId: file.tenantId, status: 'UPLOADING', uploadLeaseId: lease },
          {
            status: verdict.status, contentType: verdict.contentType, size: stored.size, sha256: stored.sha256,
            sheets: verdict.status === 'READY' ? verdict.sheets : null,
            rejectionReason: verdict.status === 'REJECTED' ? verdict.reason : null,
            uploadLeaseId: null, uploadLeaseUntil: null, expiresAt, updatedAt: new Date(),
          },
        );
        if (settled !== 1) {
          // Deleted while the bytes were arriving: nothing may keep them. (A lease lost to a later upload
          // after an hour leaves the bytes to that upload.)
          const current = await tenantEm(deps.orm, claims.tenantId).findOne(FileEntity, { id: file.id });
          if (!current || current.status === 'DELETED') await deps.storage.delete(file.storageKey);
          throw conflict('This file was deleted or changed during the upload');
        }
        if (verdict.status === 'REJECTED') {
          // A refused file's bytes serve no one and may be hostile: they go now, the row keeps the reason.
          await deps.storage.delete(file.storageKey);
          throw new AppError('UNSUPPORTED_FILE', verdict.reason, { fileId: file.id });
        }
        deps.logger.info({ tenantId: file.tenantId, fileId: file.id, size: stored.size }, 'upload ready');
        return (await tenantEm(deps.orm, claims.tenantId).findOne(FileEntity, { id: file.id }))!;
      } catch (err) {
        if (!(err instanceof AppError && (err.code === 'UNSUPPORTED_FILE' || err.code === 'CONFLICT'))) {
          await deps.storage.delete(file.storageKey);
          await release();
        }
        throw err;
      }
    },
  };
}

const tooLarge = (cap: number) => new AppError('PAYLOAD_TOO_LARGE', `The upload is larger than the ${cap} bytes declared for it`, { maxBytes: cap });

/**
 * Passes `body` through while showing each chunk to `look`. Unlike `pipeline`, a failure downstream does not
 * destroy `body` (an HTTP request): the handler must still be able to answer 413 on its socket.
 */
function tap(body: Readable, look: (chunk: Buffer) => void): Readable {
  const through = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      look(chunk);
      done(null, chunk);
    },
  });
  // A client that goes away is an expected failure, not a bug: it must not be logged as one.
  const aborted = () => { if (!body.readableEnded) through.destroy(badInput('The upload was interrupted before it finished')); };
  body.once('error', (err) => through.destroy(err));
  body.once('close', aborted);
  through.once('close', () => { body.off('close', aborted); body.unpipe(through); });
  body.pipe(through);
  return through;
}
