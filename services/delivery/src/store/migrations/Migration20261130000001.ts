import { Migration } from '@mikro-orm/migrations';

/** What the consumer and the delivery workers need: artifact facts, the rendered file name, a lease, an outbox. */
export class Migration20261130000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "delivery"."deliveries"
      add column "file_name" text not null default '',
      add column "artifact_size" bigint not null default 0,
      add column "artifact_sha256" text not null default '',
      add column "artifact_content_type" text not null default 'application/octet-stream',
      add column "lease_until" timestamptz null,
      add column "last_error" text null`);
    // Workers claim due work (never tried, or failed with a retry scheduled) and work whose lease expired
    // (a worker died mid-attempt); both through small partial indexes.
    this.addSql('drop index "delivery"."deliveries_due_idx"');
    this.addSql(`create index "deliveries_due_idx" on "delivery"."deliveries" ("next_attempt_at") where "status" in ('PENDING', 'FAILED')`);
    this.addSql(`create index "deliveries_lease_idx" on "delivery"."deliveries" ("lease_until") where "status" = 'IN_PROGRESS'`);

    // Ledger events are written in the transaction that changes the ledger and published by a relay, so a
    // crash between commit and publish delays an event but never loses it.
    this.addSql(`create table "delivery"."outbox" (
      "id" bigserial primary key,
      "topic" text not null,
      "key" text not null,
      "payload" bytea not null,
      "headers" jsonb not null default '{}',
      "created_at" timestamptz not null default now(),
      "sent_at" timestamptz null)`);
    this.addSql(`create index "outbox_unsent_idx" on "delivery"."outbox" ("id") where "sent_at" is null`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "delivery"."outbox"');
    this.addSql('drop index "delivery"."deliveries_lease_idx"');
    this.addSql('drop index "delivery"."deliveries_due_idx"');
    this.addSql(`create index "deliveries_due_idx" on "delivery"."deliveries" ("next_attempt_at") where "status" in ('PENDING', 'IN_PROGRESS')`);
    this.addSql(`alter table "delivery"."deliveries" drop column "file_name", drop column "artifact_size", drop column "artifact_sha256",
      drop column "artifact_content_type", drop column "lease_until", drop column "last_error"`);
  }
}
