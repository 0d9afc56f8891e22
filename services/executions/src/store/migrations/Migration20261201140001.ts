import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * `executions` pages and counts from indexes that hold every filter a client can send, so that both are read from
 * the indexes alone (README, "Counting runs"):
 * - `(tenant_id, id) include (created_at)` replaces `(tenant_id, id)`: a page of all the tenant's runs, or of a
 *   `from`/`to` range (which the list also bounds by id), is the index's entries from the cursor on; a count of a
 *   range, its entries of the range's ids, checked against `created_at` in the index. Without `created_at` the
 *   page had to visit each run's row for it, and the planner preferred the primary key for that walk.
 * - `(tenant_id, status, id) include (created_at)` replaces `(tenant_id, status, created_at)` of 20261201000002,
 *   which counted as well but held a status's runs in time order: a page of them in id order was a walk of the
 *   primary key or a sort of them all.
 *
 * How they are built (in the migrator's transaction, a failed concurrent build's leftover dropped first,
 * a 5 s lock timeout): kit's indexMigrationSql.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('executions', [
      { name: 'executions_tenant_id_created_idx', table: 'executions', columns: ['tenant_id', 'id'], include: ['created_at'] },
      { name: 'executions_tenant_status_id_idx', table: 'executions', columns: ['tenant_id', 'status', 'id'], include: ['created_at'] },
    ], ['executions_tenant_idx', 'executions_tenant_status_created_idx'])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql(`create index if not exists "executions_tenant_idx" on "executions"."executions" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "executions_tenant_status_created_idx" on "executions"."executions" ("tenant_id", "status", "created_at")`);
    this.addSql('drop index "executions"."executions_tenant_id_created_idx"');
    this.addSql('drop index "executions"."executions_tenant_status_id_idx"');
  }
}
