import { Migration } from '@mikro-orm/migrations';

/** Partner API keys (issue 8). */
export class Migration20261130080000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."api_keys" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "auth"."tenants" ("id") on delete cascade deferrable initially deferred,
      "name" varchar(100) not null, "prefix" varchar(16) not null, "last_four" varchar(4) not null,
      "key_hash" varchar(64) not null unique, "scopes" jsonb not null, "created_by" uuid not null,
      "created_at" timestamptz not null, "expires_at" timestamptz null, "revoked_at" timestamptz null,
      "last_used_at" timestamptz null, "verify_count" bigint not null default 0,
      "request_count" bigint not null default 0, "cost_points" bigint not null default 0,
      "rotated_from_id" uuid null)`);
    this.addSql(`create index "api_keys_tenant_idx" on "auth"."api_keys" ("tenant_id", "id")`);
  }
}
