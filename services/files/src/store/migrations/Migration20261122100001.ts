import { Migration } from '@mikro-orm/migrations';

export class Migration20261122100001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "files"."files" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" varchar(255) not null,
      "content_type" varchar(255) null,
      "declared_content_type" varchar(255) null,
      "size" bigint not null check ("size" >= 0),
      "sha256" char(64) null,
      "status" text not null default 'UPLOADING' check ("status" in ('UPLOADING', 'READY', 'REJECTED', 'EXPIRED')),
      "rejection_reason" text null,
      "kind" text not null check ("kind" in ('INPUT', 'ARTIFACT')),
      "execution_id" uuid null,
      "storage_key" varchar(512) not null,
      "sheets" jsonb null,
      "upload_lease_id" uuid null,
      "upload_lease_until" timestamptz null,
      "created_by" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "expires_at" timestamptz null)`);
    // Artifact registration upserts on this pair, so a redone run replaces its artifact instead of adding one.
    this.addSql(`create unique index "files_tenant_storage_key_uq" on "files"."files" ("tenant_id", "storage_key")`);
    this.addSql(`create index "files_tenant_kind_id_idx" on "files"."files" ("tenant_id", "kind", "id")`);
    this.addSql(`create index "files_tenant_id_idx" on "files"."files" ("tenant_id", "id")`);
    this.addSql(`create index "files_execution_idx" on "files"."files" ("tenant_id", "execution_id") where "execution_id" is not null`);
    this.addSql(`create index "files_expires_at_idx" on "files"."files" ("expires_at") where "expires_at" is not null`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "files"."files"');
  }
}
