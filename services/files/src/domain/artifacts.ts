import type { Storage } from '@rowline/storage';
import { assertKey } from '@rowline/storage';
import { badInput, forbidden, newId, type EntityManager, type Principal } from '@rowline/kit';
import { FileEntity, type File } from '../store/entities.js';
import { cleanFileName } from './file-names.js';

export type ArtifactInput = { executionId: string; name: string; storageKey: string; size: number; sha256: string; contentType: string };

/**
 * Registers a file the engine wrote for a run. Artifact keys are deterministic per run, so registration is
 * an upsert on (tenant, storageKey): a redone run replaces its artifact (same id, new size and hash)
 * instead of adding a second one.
 */
export async function registerArtifact(em: EntityManager, storage: Storage, actor: Principal, input: ArtifactInput, expiresAt: Date): Promise<File> {
  if (actor.kind !== 'service') throw forbidden('Only services register artifacts');
  const name = cleanFileName(input.name);
  const key = input.storageKey;
  try { assertKey(key); } catch { throw badInput('storageKey is not a valid storage key', { field: 'storageKey' }); }
  // A caller may only point at its own tenant's objects, and never at an upload's key.
  if (!key.startsWith(`${actor.tenantId}/`) || key.startsWith(`${actor.tenantId}/files/`)) {
    throw badInput(`storageKey must start with ${actor.tenantId}/ and not be under ${actor.tenantId}/files/`, { field: 'storageKey' });
  }
  const stat = await storage.stat(key);
  if (!stat) throw badInput('No object is stored at storageKey', { field: 'storageKey' });
  if (stat.size !== input.size) throw badInput(`The stored object has ${stat.size} bytes, not ${input.size}`, { field: 'size' });
  return em.upsert(
    FileEntity,
    {
      id: newId(), tenantId: actor.tenantId, name, contentType: input.contentType, declaredContentType: input.contentType,
      size: input.size, sha256: input.sha256.toLowerCase(), status: 'READY', rejectionReason: null, kind: 'ARTIFACT',
      executionId: input.executionId, storageKey: key, sheets: null, createdBy: actor.subject, createdAt: new Date(),
      updatedAt: new Date(), expiresAt, uploadLeaseId: null, uploadLeaseUntil: null,
    },
    {
      onConflictFields: ['tenantId', 'storageKey'],
      onConflictAction: 'merge',
      // A redone run's artifact starts its retention again.
      onConflictMergeFields: ['name', 'contentType', 'declaredContentType', 'size', 'sha256', 'status', 'executionId', 'updatedAt', 'expiresAt'],
    },
  );
}
