import { Migration } from '@mikro-orm/migrations';

/** Invitations, login rate-limit counters, and indexes the member and audit queries page over. */
export class Migration20261130000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."invitations" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "auth"."tenants" ("id") on delete cascade,
      "email" varchar(320) not null, "role" text not null check ("role" in ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
      "token_hash" varchar(64) not null unique, "invited_by" uuid null, "expires_at" timestamptz not null,
      "accepted_at" timestamptz null, "created_at" timestamptz not null)`);
    this.addSql(`create index "invitations_tenant_idx" on "auth"."invitations" ("tenant_id", "id")`);
    this.addSql(`create table "auth"."rate_limits" (
      "key" text primary key, "window_start" timestamptz not null, "count" integer not null)`);
    this.addSql(`create index "memberships_tenant_idx" on "auth"."memberships" ("tenant_id", "id")`);
    this.addSql(`create index "audit_events_tenant_id_idx" on "auth"."audit_events" ("tenant_id", "id")`);
    this.addSql(`create index "refresh_tokens_user_idx" on "auth"."refresh_tokens" ("user_id")`);
  }
}
