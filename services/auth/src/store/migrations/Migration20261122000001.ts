import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."tenants" (
      "id" uuid primary key, "name" varchar(200) not null, "slug" varchar(63) not null unique,
      "created_at" timestamptz not null)`);
    this.addSql(`create table "auth"."users" (
      "id" uuid primary key, "email" varchar(320) not null, "name" varchar(200) not null,
      "password_hash" text not null, "created_at" timestamptz not null)`);
    this.addSql(`create unique index "users_email_unique" on "auth"."users" (lower("email"))`);
    this.addSql(`create table "auth"."memberships" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "auth"."tenants" ("id") on delete cascade deferrable initially deferred,
      "user_id" uuid not null references "auth"."users" ("id") on delete cascade deferrable initially deferred,
      "role" text not null check ("role" in ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
      "created_at" timestamptz not null, unique ("tenant_id", "user_id"))`);
    this.addSql(`create table "auth"."refresh_tokens" (
      "id" uuid primary key, "family_id" uuid not null, "user_id" uuid not null, "tenant_id" uuid not null,
      "token_hash" varchar(64) not null unique, "expires_at" timestamptz not null, "used_at" timestamptz null,
      "revoked_at" timestamptz null, "created_at" timestamptz not null)`);
    this.addSql(`create index "refresh_tokens_family_idx" on "auth"."refresh_tokens" ("family_id")`);
    this.addSql(`create table "auth"."signing_keys" (
      "kid" text primary key, "alg" text not null, "public_jwk" jsonb not null, "private_pkcs8" text not null,
      "created_at" timestamptz not null, "retired_at" timestamptz null)`);
    this.addSql(`create table "auth"."audit_events" (
      "id" uuid primary key, "tenant_id" uuid null, "actor_id" uuid null, "type" text not null,
      "address" text null, "details" jsonb not null, "at" timestamptz not null)`);
    this.addSql(`create index "audit_events_tenant_idx" on "auth"."audit_events" ("tenant_id", "at")`);
  }
}
