import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * Indexes the lists page and count from (README, "Tables"), each replacing one that only those lists used:
 * - `workflows (tenant_id, id) include (status)` for `(tenant_id, id)`: `workflows` lists the tenant's active
 *   workflows unless `includeArchived`; with `status` in the index, the page and the count of either are read from
 *   the index alone (without it, a count of the active ones read every workflow of the tenant from the table).
 * - `workflow_versions (tenant_id, workflow_id, id)` for `(tenant_id, workflow_id)`: `Workflow.versions` reads
 *   its page from the index instead of sorting all of the workflow's versions.
 *
 * How they are built (in the migrator's transaction, a failed concurrent build's leftover dropped first,
 * a 5 s lock timeout): kit's indexMigrationSql.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('workflows', [
      { name: 'workflows_tenant_id_status_idx', table: 'workflows', columns: ['tenant_id', 'id'], include: ['status'] },
      { name: 'workflow_versions_tenant_workflow_id_idx', table: 'workflow_versions', columns: ['tenant_id', 'workflow_id', 'id'] },
    ], ['workflows_tenant_id_idx', 'workflow_versions_tenant_idx'])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql(`create index if not exists "workflows_tenant_id_idx" on "workflows"."workflows" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "workflow_versions_tenant_idx" on "workflows"."workflow_versions" ("tenant_id", "workflow_id")`);
    this.addSql('drop index "workflows"."workflows_tenant_id_status_idx"');
    this.addSql('drop index "workflows"."workflow_versions_tenant_workflow_id_idx"');
  }
}
