import type { Storage } from '@rowline/storage';
import { assertKey } from '@rowline/storage';
import { badInput, forbidden, newId, type EntityManager, type Principal } from '@rowline/kit';
import { upsertArtifact } from '../store/artifact-upsert.js';
import { cleanFileName } from './file-names.js';

export type ArtifactInput = { executionId: string; name: string; storageKey: string; size: number; sha256: string; contentType: string };

/**
 * Registers a file the engine wrote for a run. Artifact keys are deterministic per run, so registration is
 * an upsert on (tenant, storageKey): a redone run replaces its artifact (same id, new size and hash)
 * instead of adding a second one.
 */
export async function registerArtifact(
  em: EntityManager, storage: Storage, actor: Principal, input: ArtifactInput, expiry: { now: Date; defaultTtlSeconds: number },
): Promise<{ id: string; tenantId: string; status: 'READY' }> {
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
  // Expires the tenant's artifact TTL after `now` (retention.ts); a redo starts its retention again.
  return upsertArtifact(em, {
    id: newId(), tenantId: actor.tenantId, name, contentType: input.contentType, size: input.size, sha256: input.sha256.toLowerCase(),
    executionId: input.executionId, storageKey: key, createdBy: actor.subject, now: expiry.now,
  }, expiry.defaultTtlSeconds);
}
