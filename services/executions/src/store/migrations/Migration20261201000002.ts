import { Migration } from '@mikro-orm/migrations';

/**
 * `executions { totalCount }` counts a tenant's runs under the list's filters: by status, by time range, or
 * both, this index answers from the index alone (no table reads); without it those counts read every run
 * of the tenant from the table. Plain `create index` blocks writes to executions while it builds (seconds
 * per million rows); a large installation may build it first with `create index concurrently` under the
 * same name, which `if not exists` then keeps.
 */
export class Migration20261201000002 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "executions_tenant_status_created_idx" on "executions"."executions" ("tenant_id", "status", "created_at")`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "executions"."executions_tenant_status_created_idx"');
  }
}
