import { Migration } from '@mikro-orm/migrations';

/** Per-tenant retention and quotas, and an index for summing a tenant's stored bytes. */
export class Migration20261130070001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "files"."tenant_file_policies" (
      "tenant_id" uuid primary key,
      "input_ttl_seconds" integer null check ("input_ttl_seconds" > 0),
      "artifact_ttl_seconds" integer null check ("artifact_ttl_seconds" > 0),
      "max_stored_bytes" bigint null check ("max_stored_bytes" >= 0),
      "max_upload_bytes" bigint null check ("max_upload_bytes" > 0),
      "updated_at" timestamptz not null)`);
    this.addSql(`create index "files_tenant_status_idx" on "files"."files" ("tenant_id", "status")`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "files"."files_tenant_status_idx"');
    this.addSql('drop table "files"."tenant_file_policies"');
  }
}
