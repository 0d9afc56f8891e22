import { runPrepared, type EntityManager } from '@rowline/kit';

export type CheckedFile = {
  id: string; tenantId: string; name: string; status: 'UPLOADING' | 'READY' | 'REJECTED' | 'EXPIRED'; kind: 'INPUT' | 'ARTIFACT';
  contentType: string | null; size: number; storageKey: string; sha256: string | null;
  /** The names of its sheets, in order, as inspection found them (a READY input's; null otherwise). */
  sheetNames: string[] | null;
};

/**
 * The columns the internal file check answers, for one of the tenant's files (null for another tenant's or
 * a missing or deleted one): a plain indexed query, since every startExecution asks it and no entity is needed.
 */
export async function fileForCheck(em: EntityManager, tenantId: string, id: string): Promise<CheckedFile | null> {
  const [row] = await runPrepared<{
    id: string; tenant_id: string; name: string; status: CheckedFile['status']; kind: CheckedFile['kind']; content_type: string | null;
    size: string | number; storage_key: string; sha256: string | null; sheet_names: string[] | null;
  }>(em, {
    name: 'files.file-for-check',
    // The names alone: a sheet's columns may be many, and a check has no use for them.
    text: `select "id", "tenant_id", "name", "status", "kind", "content_type", "size", "storage_key", "sha256",
        jsonb_path_query_array("sheets", '$[*].name') as "sheet_names"
      from "files"."files" where "tenant_id" = $1 and "id" = $2 and "status" <> 'DELETED'`,
  }, [tenantId, id]);
  if (!row) return null;
  return {
    id: row.id, tenantId: row.tenant_id, name: row.name, status: row.status, kind: row.kind, contentType: row.content_type,
    size: Number(row.size), storageKey: row.storage_key, sha256: row.sha256, sheetNames: row.sheet_names,
  };
}
