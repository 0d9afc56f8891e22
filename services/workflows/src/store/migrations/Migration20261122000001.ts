import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "workflows"."workflows" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" varchar(200) not null,
      "description" text not null default '',
      "status" text not null default 'ACTIVE' check ("status" in ('ACTIVE', 'ARCHIVED')),
      "latest_version_id" uuid null,
      "latest_version_number" int not null default 0,
      "created_by" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null)`);
    this.addSql(`create index "workflows_tenant_id_idx" on "workflows"."workflows" ("tenant_id", "id")`);
    this.addSql(`create table "workflows"."workflow_versions" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "workflow_id" uuid not null references "workflows"."workflows" ("id") on delete cascade deferrable initially deferred,
      "number" int not null,
      "steps" jsonb not null,
      "note" text not null default '',
      "created_by" text not null,
      "created_at" timestamptz not null,
      unique ("workflow_id", "number"))`);
    this.addSql(`create index "workflow_versions_tenant_idx" on "workflows"."workflow_versions" ("tenant_id", "workflow_id")`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "workflows"."workflow_versions"');
    this.addSql('drop table "workflows"."workflows"');
  }
}
