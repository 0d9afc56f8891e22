import { defineEntity, p } from '@mikro-orm/core';
import { tenantFilter } from '@rowline/kit';

/**
 * A tenant's own retention and quotas; a null column (or no row) means the service's default. Retention is
 * set by the tenant's admins (setFileRetention); quotas by the operator (`PUT /internal/file-quota`).
 */
export const TenantFilePolicyEntity = defineEntity({
  name: 'TenantFilePolicy',
  tableName: 'tenant_file_policies',
  filters: tenantFilter,
  properties: {
    tenantId: p.uuid().primary(),
    inputTtlSeconds: p.integer().nullable(),
    artifactTtlSeconds: p.integer().nullable(),
    maxStoredBytes: p.bigint('number').nullable(),
    maxUploadBytes: p.bigint('number').nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type TenantFilePolicy = InstanceType<typeof TenantFilePolicyEntity.class>;
