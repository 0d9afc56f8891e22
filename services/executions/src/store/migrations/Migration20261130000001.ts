import { Migration } from '@mikro-orm/migrations';

/** Per-run timeouts, and the indexes the sweeper and the per-tenant limit query on every pass and claim. */
export class Migration20261130000001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "executions"."executions" add column "timeout_ms" int not null default 900000`);
    this.addSql(`create index "executions_live_idx" on "executions"."executions" ("tenant_id", "status", "id")
      where "status" in ('PENDING', 'QUEUED', 'RUNNING')`);
    this.addSql(`create index "executions_retry_of_idx" on "executions"."executions" ("retry_of") where "retry_of" is not null`);
  }
}
