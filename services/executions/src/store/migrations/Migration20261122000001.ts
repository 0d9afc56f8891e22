import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "executions"."executions" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "workflow_id" uuid not null,
      "workflow_version_id" uuid not null,
      "input_file_id" uuid not null,
      "input_file_name" text not null,
      "input_storage_key" text not null,
      "steps" jsonb not null,
      "status" text not null check ("status" in ('PENDING','QUEUED','RUNNING','SUCCEEDED','FAILED','CANCELLED','TIMED_OUT')),
      "phase" text null check ("phase" in ('INITIALIZING','READING','TRANSFORMING','VALIDATING','WRITING')),
      "progress_percent" double precision null,
      "rows_processed" bigint not null default 0,
      "idempotency_key" varchar(200) not null,
      "requested_by" text not null,
      "error" jsonb null,
      "artifacts" jsonb null,
      "attempt" int not null default 0,
      "lease_owner" text null,
      "lease_expires_at" timestamptz null,
      "sequence" bigint not null default 0,
      "retry_of" uuid null,
      "created_at" timestamptz not null,
      "started_at" timestamptz null,
      "finished_at" timestamptz null,
      unique ("tenant_id", "idempotency_key"))`);
    this.addSql(`create index "executions_tenant_idx" on "executions"."executions" ("tenant_id", "id")`);
    this.addSql(`create index "executions_workflow_idx" on "executions"."executions" ("tenant_id", "workflow_id", "id")`);
    this.addSql(`create table "executions"."step_runs" (
      "id" uuid primary key, "tenant_id" uuid not null,
      "execution_id" uuid not null references "executions"."executions" ("id") on delete cascade,
      "index" int not null, "type" text not null, "status" text not null, "rows_in" bigint not null,
      "rows_out" bigint not null, "duration_ms" int not null, unique ("execution_id", "index"))`);
    this.addSql(`create table "executions"."execution_logs" (
      "id" uuid primary key, "tenant_id" uuid not null,
      "execution_id" uuid not null references "executions"."executions" ("id") on delete cascade,
      "at" timestamptz not null, "level" text not null, "message" text not null, "step" int null)`);
    this.addSql(`create index "execution_logs_execution_idx" on "executions"."execution_logs" ("execution_id", "at")`);
    // The transactional outbox: events are written with the state change that caused them and published
    // by the relay afterwards, so a crash between the two loses nothing.
    this.addSql(`create table "executions"."outbox" (
      "id" bigserial primary key, "topic" text not null, "key" text not null, "payload" bytea not null,
      "headers" jsonb not null default '{}', "created_at" timestamptz not null default now(), "sent_at" timestamptz null)`);
    this.addSql(`create index "outbox_unsent_idx" on "executions"."outbox" ("id") where "sent_at" is null`);
  }
}
