import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * Indexes the lists page and count from (README, "Tables"):
 * - `deliveries (tenant_id, id)` and `(tenant_id, status, id)`: the ledger, newest first, all of it or by status.
 *   Without them a page walked the primary key and dropped other tenants' deliveries one by one (for a tenant
 *   quiet for a month, every delivery made since), and a count by status read the tenant's deliveries.
 * - `routes (tenant_id, workflow_id, id)` and `(tenant_id, destination_id, id)` replace the same indexes without
 *   `id`: `Workflow.routes` and `Destination.routes` (and the consumer's routes of a run, in id order) read a page
 *   from the index instead of sorting all of the workflow's or destination's routes.
 *
 * How they are built (in the migrator's transaction, a failed concurrent build's leftover dropped first,
 * a 5 s lock timeout): kit's indexMigrationSql.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('delivery', [
      { name: 'deliveries_tenant_id_idx', table: 'deliveries', columns: ['tenant_id', 'id'] },
      { name: 'deliveries_tenant_status_id_idx', table: 'deliveries', columns: ['tenant_id', 'status', 'id'] },
      { name: 'routes_tenant_workflow_id_idx', table: 'routes', columns: ['tenant_id', 'workflow_id', 'id'] },
      { name: 'routes_tenant_destination_id_idx', table: 'routes', columns: ['tenant_id', 'destination_id', 'id'] },
    ], ['routes_tenant_workflow_idx', 'routes_tenant_destination_idx'])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql(`create index if not exists "routes_tenant_workflow_idx" on "delivery"."routes" ("tenant_id", "workflow_id")`);
    this.addSql(`create index if not exists "routes_tenant_destination_idx" on "delivery"."routes" ("tenant_id", "destination_id")`);
    this.addSql('drop index "delivery"."routes_tenant_workflow_id_idx"');
    this.addSql('drop index "delivery"."routes_tenant_destination_id_idx"');
    this.addSql('drop index "delivery"."deliveries_tenant_status_id_idx"');
    this.addSql('drop index "delivery"."deliveries_tenant_id_idx"');
  }
}
