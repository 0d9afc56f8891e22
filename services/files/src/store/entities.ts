import { defineEntity, p } from '@mikro-orm/core';
import { tenantFilter } from '@rowline/kit';
import { FILE_KINDS, FILE_STATUSES, type SheetInfo } from '../domain/types.js';
import { TenantFilePolicyEntity } from './policy-entity.js';

export { TenantFilePolicyEntity, type TenantFilePolicy } from './policy-entity.js';

export const FileEntity = defineEntity({
  name: 'File',
  tableName: 'files',
  filters: tenantFilter,
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    name: p.string().length(255),
    /** Detected from the bytes; null until the upload is inspected. */
    contentType: p.string().length(255).nullable(),
    /** What the client claimed; kept for support, never trusted. */
    declaredContentType: p.string().length(255).nullable(),
    /** Declared at createUpload, then the stored size. */
    size: p.bigint('number'),
    sha256: p.string().length(64).nullable(),
    status: p.enum([...FILE_STATUSES]).default('UPLOADING'),
    rejectionReason: p.text().nullable(),
    kind: p.enum([...FILE_KINDS]),
    executionId: p.uuid().nullable(),
    storageKey: p.string().length(512),
    sheets: p.json<SheetInfo[]>().nullable(),
    /**
     * The upload in progress holds this lease, so two PUTs with the same link cannot interleave their bytes
     * under one key; it lapses by itself if the process dies mid-upload.
     */
    uploadLeaseId: p.uuid().nullable(),
    uploadLeaseUntil: p.datetime().nullable(),
    createdBy: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    /** When the row (and its bytes) may be swept: the end of the upload window while UPLOADING. */
    expiresAt: p.datetime().nullable(),
  },
});
export type File = InstanceType<typeof FileEntity.class>;

export const entities = [FileEntity, TenantFilePolicyEntity];
