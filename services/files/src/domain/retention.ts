import { AppError, badInput, type EntityManager } from '@rowline/kit';
import { TenantFilePolicyEntity } from '../store/policy-entity.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The service-wide defaults a tenant's own policy overrides column by column. */
export type RetentionDefaults = { inputTtlSeconds: number; artifactTtlSeconds: number; maxStoredBytes: number; maxUploadBytes: number };
export type Policy = RetentionDefaults;
export type Usage = Policy & { storedBytes: number };

/** Files whose bytes count against the stored-bytes quota: an UPLOADING file reserves its declared size. */
const HOLDING_BYTES = ['UPLOADING', 'READY'] as const;

export const RETENTION_BOUNDS = { inputTtlHours: { min: 1, max: 24 * 90 }, artifactTtlDays: { min: 1, max: 3650 } };

export type Retention = ReturnType<typeof createRetention>;

/**
 * Per-tenant retention (how long inputs and artifacts live) and quotas (bytes stored, largest upload).
 * `now` is injected so expiry can be tested without waiting.
 */
export function createRetention(deps: { defaults: RetentionDefaults; now: () => Date }) {
  async function policyOf(em: EntityManager, tenantId: string): Promise<Policy> {
    const own = await em.findOne(TenantFilePolicyEntity, { tenantId });
    const d = deps.defaults;
    return {
      inputTtlSeconds: own?.inputTtlSeconds ?? d.inputTtlSeconds,
      artifactTtlSeconds: own?.artifactTtlSeconds ?? d.artifactTtlSeconds,
      maxStoredBytes: own?.maxStoredBytes ?? d.maxStoredBytes,
      maxUploadBytes: own?.maxUploadBytes ?? d.maxUploadBytes,
    };
  }

  /** Bytes the tenant holds, leaving out `exceptFileId` (an upload checking its own room). */
  async function storedBytes(em: EntityManager, tenantId: string, exceptFileId?: string): Promise<number> {
    const row = await em.getConnection().execute<{ total: string }>(
      `select coalesce(sum("size"), 0)::text as total from "files"."files"
        where "tenant_id" = ? and "status" in (?, ?) and "id" is distinct from ?`,
      [tenantId, ...HOLDING_BYTES, exceptFileId ?? null], 'get', em.getTransactionContext(),
    );
    return Number(row.total);
  }

  return {
    policyOf,
    async usage(em: EntityManager, tenantId: string): Promise<Usage> {
      return { ...(await policyOf(em, tenantId)), storedBytes: await storedBytes(em, tenantId) };
    },

    /**
     * Refuses with QUOTA_EXCEEDED a file of `size` bytes that is larger than the tenant's largest upload or
     * would take its stored bytes past its quota. Callers hold the tenant's quota lock (`lockTenant`), so
     * two uploads cannot both take the last room.
     */
    async assertRoom(em: EntityManager, tenantId: string, size: number, exceptFileId?: string): Promise<void> {
      const policy = await policyOf(em, tenantId);
      if (size > policy.maxUploadBytes) {
        throw new AppError('QUOTA_EXCEEDED', `Files of this workspace may be at most ${policy.maxUploadBytes} bytes; this one has ${size}`, {
          quota: 'maxUploadBytes', limit: policy.maxUploadBytes, requested: size,
        });
      }
      const used = await storedBytes(em, tenantId, exceptFileId);
      if (used + size > policy.maxStoredBytes) {
        throw new AppError('QUOTA_EXCEEDED', `This workspace stores ${used} of its ${policy.maxStoredBytes} bytes; ${size} more do not fit. Delete files or wait for old ones to expire`, {
          quota: 'maxStoredBytes', limit: policy.maxStoredBytes, used, requested: size,
        });
      }
    },

    /** Serialises quota checks of one tenant until the surrounding transaction ends. */
    async lockTenant(em: EntityManager, tenantId: string): Promise<void> {
      await em.getConnection().execute('select pg_advisory_xact_lock(hashtext(?))', [`files-quota:${tenantId}`], 'get', em.getTransactionContext());
    },

    inputExpiry: async (em: EntityManager, tenantId: string) => new Date(deps.now().getTime() + (await policyOf(em, tenantId)).inputTtlSeconds * 1000),
    /** What an artifact's expiry is computed from in SQL (store/artifact-upsert.ts): the tenant's own TTL, else this default. */
    artifactExpiryBasis: () => ({ now: deps.now(), defaultTtlSeconds: deps.defaults.artifactTtlSeconds }),

    /** A tenant's admins choose how long its files live, within bounds. Applies to files settled from now on. */
    async setRetention(em: EntityManager, tenantId: string, input: { inputTtlHours: number; artifactTtlDays: number }): Promise<void> {
      const { inputTtlHours: h, artifactTtlDays: d } = RETENTION_BOUNDS;
      if (!Number.isInteger(input.inputTtlHours) || input.inputTtlHours < h.min || input.inputTtlHours > h.max) {
        throw badInput(`inputTtlHours must be a whole number from ${h.min} to ${h.max}`, { field: 'inputTtlHours' });
      }
      if (!Number.isInteger(input.artifactTtlDays) || input.artifactTtlDays < d.min || input.artifactTtlDays > d.max) {
        throw badInput(`artifactTtlDays must be a whole number from ${d.min} to ${d.max}`, { field: 'artifactTtlDays' });
      }
      await upsertPolicy(em, tenantId, { inputTtlSeconds: input.inputTtlHours * HOUR, artifactTtlSeconds: input.artifactTtlDays * DAY });
    },

    /** The operator sets a tenant's quotas; null returns a quota to the default. */
    async setQuota(em: EntityManager, tenantId: string, input: { maxStoredBytes: number | null; maxUploadBytes: number | null }): Promise<void> {
      await upsertPolicy(em, tenantId, input);
    },
  };
}

type PolicyFields = { [K in keyof Policy]?: number | null };

async function upsertPolicy(em: EntityManager, tenantId: string, fields: PolicyFields) {
  const existing = await em.findOne(TenantFilePolicyEntity, { tenantId });
  if (existing) em.assign(existing, { ...fields, updatedAt: new Date() });
  else em.create(TenantFilePolicyEntity, { tenantId, inputTtlSeconds: null, artifactTtlSeconds: null, maxStoredBytes: null, maxUploadBytes: null, ...fields, updatedAt: new Date() });
  await em.flush();
}
