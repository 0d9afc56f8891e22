import { runPrepared, type EntityManager } from '@rowline/kit';

export type ArtifactRow = {
  id: string; tenantId: string; name: string; contentType: string; size: number; sha256: string; executionId: string;
  storageKey: string; createdBy: string; now: Date;
};

const UPSERT_ARTIFACT = {
  name: 'files.upsert-artifact',
  text: `insert into "files"."files" ("id", "tenant_id", "name", "content_type", "declared_content_type", "size", "sha256", "status",
        "rejection_reason", "kind", "execution_id", "storage_key", "sheets", "created_by", "created_at", "updated_at", "expires_at",
        "upload_lease_id", "upload_lease_until")
      values ($1, $2, $3, $4, $4, $5, $6, 'READY', null, 'ARTIFACT', $7, $8, null, $9, $10, $10,
        $10::timestamptz + make_interval(secs => coalesce(
          (select "artifact_ttl_seconds" from "files"."tenant_file_policies" where "tenant_id" = $2), $11)),
        null, null)
      on conflict ("tenant_id", "storage_key") do update set
        "name" = excluded."name", "content_type" = excluded."content_type", "declared_content_type" = excluded."declared_content_type",
        "size" = excluded."size", "sha256" = excluded."sha256", "status" = excluded."status", "execution_id" = excluded."execution_id",
        "updated_at" = excluded."updated_at", "expires_at" = excluded."expires_at"
      returning "id"`,
};

/**
 * Inserts a READY artifact, or on its (tenant, storage key) updates the row a redone run wrote, in one
 * statement. Its expiry is `now` plus the tenant's artifact TTL (its own policy, else `defaultTtlSeconds`),
 * read in the same statement: one round trip where a policy read and an entity upsert took two, and
 * no entity is built (the route answers only the id). Answers the row's id, the first run's on a redo.
 */
export async function upsertArtifact(em: EntityManager, row: ArtifactRow, defaultTtlSeconds: number): Promise<{ id: string; tenantId: string; status: 'READY' }> {
  const [saved] = await runPrepared<{ id: string }>(em, UPSERT_ARTIFACT, [
    row.id, row.tenantId, row.name, row.contentType, row.size, row.sha256, row.executionId, row.storageKey,
    row.createdBy, row.now, defaultTtlSeconds,
  ]);
  return { id: saved!.id, tenantId: row.tenantId, status: 'READY' };
}
