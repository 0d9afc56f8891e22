import type { Principal } from '@rowline/kit';
import type { Lookups } from './executions.js';

/** Versions remembered at once (the least recently used goes first). */
const VERSIONS_KEPT = 2_000;

/**
 * A workflow version never changes once created, and is never deleted (archiving a workflow keeps its
 * versions readable), so a version the workflows service answered for a tenant is remembered for that tenant.
 * Keyed by tenant and id: another tenant asking for the same id still asks the workflows service, which
 * answers NOT_FOUND. Failures are never remembered, and concurrent asks for one version share one call.
 */
export function cachedVersions(lookup: Lookups['version'], kept = VERSIONS_KEPT): Lookups['version'] {
  const versions = new Map<string, ReturnType<Lookups['version']>>();
  return (principal: Principal, id: string) => {
    const key = `${principal.tenantId}/${id}`;
    const hit = versions.get(key);
    if (hit) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      versions.delete(key);
      versions.set(key, hit);
      return hit;
    }
    const pending = lookup(principal, id);
    versions.set(key, pending);
    if (versions.size > kept) versions.delete(versions.keys().next().value!);
    pending.catch(() => { if (versions.get(key) === pending) versions.delete(key); });
    return pending;
  };
}
