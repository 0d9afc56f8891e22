import { Migration } from '@mikro-orm/migrations';

/**
 * The trace a delivery belongs to (W3C `traceparent`/`tracestate`), taken from the executions.events message
 * that recorded it (or the redeliver request): its attempts, run later by any worker, continue that trace.
 */
export class Migration20261130000002 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "delivery"."deliveries" add column "trace_headers" jsonb not null default '{}'`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table "delivery"."deliveries" drop column "trace_headers"');
  }
}
