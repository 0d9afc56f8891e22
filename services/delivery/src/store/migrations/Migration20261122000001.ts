import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "delivery"."destinations" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" varchar(200) not null,
      "kind" text not null check ("kind" in ('WEBHOOK', 'SFTP', 'FTP', 'S3', 'EMAIL')),
      "config" jsonb not null,
      "secrets" text null,
      "secret_fields" jsonb not null default '[]',
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      unique ("tenant_id", "name"))`);
    this.addSql(`create index "destinations_tenant_idx" on "delivery"."destinations" ("tenant_id", "id")`);

    // Foreign keys are deferred to commit: the entities hold plain ids, not relations, so the unit of work
    // does not order inserts by them. Routes go with their destination: deleting it detaches it everywhere.
    this.addSql(`create table "delivery"."routes" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "workflow_id" uuid not null,
      "destination_id" uuid not null references "delivery"."destinations" ("id") on delete cascade deferrable initially deferred,
      "artifact_pattern" text not null default '*',
      "file_name_template" text not null default '{name}',
      "created_at" timestamptz not null,
      unique ("workflow_id", "destination_id"))`);
    this.addSql(`create index "routes_tenant_workflow_idx" on "delivery"."routes" ("tenant_id", "workflow_id")`);

    // No foreign keys to routes or destinations: the ledger must outlive a deleted destination.
    this.addSql(`create table "delivery"."deliveries" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "execution_id" uuid not null,
      "workflow_id" uuid not null,
      "route_id" uuid not null,
      "destination_id" uuid not null,
      "artifact_file_id" uuid not null,
      "artifact_name" text not null,
      "status" text not null default 'PENDING' check ("status" in ('PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'DEAD')),
      "attempt_count" int not null default 0,
      "next_attempt_at" timestamptz null,
      "idempotency_key" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      unique ("tenant_id", "idempotency_key"))`);
    this.addSql(`create index "deliveries_tenant_execution_idx" on "delivery"."deliveries" ("tenant_id", "execution_id")`);
    // What delivery workers will poll: due work only, so the index stays small as the ledger grows.
    this.addSql(`create index "deliveries_due_idx" on "delivery"."deliveries" ("next_attempt_at")
      where "status" in ('PENDING', 'IN_PROGRESS')`);

    this.addSql(`create table "delivery"."delivery_attempts" (
      "id" uuid primary key,
      "delivery_id" uuid not null references "delivery"."deliveries" ("id") on delete cascade deferrable initially deferred,
      "tenant_id" uuid not null,
      "at" timestamptz not null,
      "outcome" text not null check ("outcome" in ('SUCCEEDED', 'FAILED', 'TIMED_OUT')),
      "error" text null,
      "duration_ms" int not null check ("duration_ms" >= 0))`);
    this.addSql(`create index "delivery_attempts_delivery_idx" on "delivery"."delivery_attempts" ("delivery_id", "at")`);

    this.addSql(`create table "delivery"."processed_events" (
      "consumer" text not null,
      "event_id" text not null,
      "processed_at" timestamptz not null default now(),
      primary key ("consumer", "event_id"))`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "delivery"."processed_events"');
    this.addSql('drop table "delivery"."delivery_attempts"');
    this.addSql('drop table "delivery"."deliveries"');
    this.addSql('drop table "delivery"."routes"');
    this.addSql('drop table "delivery"."destinations"');
  }
}
