import type { Storage } from '@rowline/storage';
import { badInput, findPage, isUuid, nameContains, newId, notFound, rowsById, type EntityManager, type Logger, type Page, type Principal } from '@rowline/kit';
import { FileEntity, type File } from '../store/entities.js';
import { uploadName } from './file-names.js';
import type { FileLinks } from './links.js';
import type { Retention } from './retention.js';
import type { FileKind, FileStatus } from './types.js';

export type FilesDomain = ReturnType<typeof createFilesDomain>;

/** Input files and artifacts: metadata, links and deletion. Knows nothing of GraphQL; callers pass a tenant-scoped em. */
export function createFilesDomain(deps: { storage: Storage; links: FileLinks; maxUploadBytes: number; logger: Logger; retention: Retention }) {
  /** One of the tenant's files, not a deleted one (its tombstone: see `reference`). */
  async function get(em: EntityManager, id: string): Promise<File> {
    const file = isUuid(id) ? await em.findOne(FileEntity, { id, status: { $ne: 'DELETED' } }) : null;
    if (!file) throw notFound('File', id);
    return file;
  }
  // The gateway names a page of runs' inputs and artifacts in one `_entities` call: one statement for all of them.
  const fileById = rowsById<File>(FileEntity);

  return {
    get,

    /**
     * A file as another subgraph's entity names it (a run's input or artifact), deleted ones included: a
     * deletion must not make the runs that used the file unreadable.
     */
    async reference(em: EntityManager, id: string): Promise<File> {
      const file = await fileById(em, id);
      if (!file) throw notFound('File', id);
      return file;
    },

    /** Registers an upload and hands back the link its bytes go to; the file stays UPLOADING until they arrive. */
    async createUpload(em: EntityManager, actor: Principal, input: { name: string; contentType?: string | null; size: number }) {
      const { name } = uploadName(input.name);
      if (!Number.isSafeInteger(input.size) || input.size <= 0) throw badInput('size must be a positive number of bytes', { field: 'size' });
      if (input.size > deps.maxUploadBytes) {
        throw badInput(`The file is larger than the ${deps.maxUploadBytes} bytes allowed`, { field: 'size', maxBytes: deps.maxUploadBytes });
      }
      const declared = (input.contentType ?? '').trim();
      if (declared.length > 255) throw badInput('contentType is longer than 255 characters', { field: 'contentType' });
      const id = newId();
      const { url, expiresAt } = await deps.links.uploadUrl({ fileId: id, tenantId: actor.tenantId });
      // The declared size is reserved against the quota now, so uploads started together cannot overrun it.
      const file = await em.transactional(async (tx) => {
        await deps.retention.lockTenant(tx, actor.tenantId);
        await deps.retention.assertRoom(tx, actor.tenantId, input.size);
        return tx.create(FileEntity, {
          id, tenantId: actor.tenantId, name, declaredContentType: declared || null, size: input.size, kind: 'INPUT',
          status: 'UPLOADING', storageKey: `${actor.tenantId}/files/${id}`, createdBy: actor.subject, expiresAt,
        });
      });
      return { file, uploadUrl: url, expiresAt };
    },

    /** Newest first: people look for what they just uploaded. */
    async list(em: EntityManager, opts: { first: number; after?: string | null; kind?: FileKind | null; status?: FileStatus | null; nameContains?: string | null }): Promise<Page<File>> {
      // Deleted files are tombstones, never listed (deleteFile): asking for them is a mistake worth saying.
      if (opts.status === 'DELETED') throw badInput('Deleted files are not listed', { argument: 'status' });
      return findPage(em, FileEntity, {
        ...(opts.kind ? { kind: opts.kind } : {}),
        status: opts.status ?? { $ne: 'DELETED' as const },
        ...nameContains(opts.nameContains, 'nameContains'),
      }, opts, 'desc');
    },

    /** A short-lived link to the bytes; only a READY file has bytes worth fetching. */
    async downloadUrl(file: Pick<File, 'id' | 'tenantId' | 'status'>): Promise<string | null> {
      if (file.status !== 'READY') return null;
      return (await deps.links.downloadUrl({ fileId: file.id, tenantId: file.tenantId })).url;
    },

    /**
     * Marks the row DELETED first, then deletes the bytes: a failure in between leaves unreferenced bytes
     * (garbage) rather than a row pointing at nothing. The row stays as a tombstone without bytes or link,
     * because runs name their input and artifacts by id (`Execution.inputFile: File!`): removing it made
     * every run that used the file, and every page of `executions` holding one, fail with NOT_FOUND. An
     * upload still in flight finds its row DELETED and removes its own bytes.
     */
    async delete(em: EntityManager, id: string): Promise<boolean> {
      const file = await get(em, id);
      const marked = await em.nativeUpdate(
        FileEntity,
        { id: file.id, tenantId: file.tenantId, status: { $ne: 'DELETED' } },
        { status: 'DELETED', expiresAt: null, updatedAt: new Date() },
      );
      if (marked !== 1) throw notFound('File', id);
      await deps.storage.delete(file.storageKey).catch((err: unknown) => {
        deps.logger.warn({ err, fileId: file.id }, 'file row deleted but its bytes were not; they are now garbage');
      });
      return true;
    },
  };
}
