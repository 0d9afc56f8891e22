import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * `executions { totalCount }` counts a tenant's runs under the list's filters: by status, by time range, or
 * both, this index answers them from its entries, visiting the table only for pages changed since the last
 * vacuum (services/executions/README.md, "Counting runs"). Plain `create index` blocks writes to executions
 * while it builds (seconds per million rows); a large installation may build it first with
 * `create index concurrently` under the same name, which `if not exists` then keeps.
 *
 * A concurrent build that failed leaves an invalid index of that name, which `if not exists` would keep and
 * no query would use: it is dropped first. The migration runs in a transaction, so `set local lock_timeout`
 * holds for it alone: if the table is busy (a long write, a vacuum) the build fails after 5 s and can be run
 * again, instead of queueing every write to executions behind it while it waits for its lock.
 */
export class Migration20261201000002 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('executions', [
      { name: 'executions_tenant_status_created_idx', table: 'executions', columns: ['tenant_id', 'status', 'created_at'] },
    ])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql('drop index "executions"."executions_tenant_status_created_idx"');
  }
}
