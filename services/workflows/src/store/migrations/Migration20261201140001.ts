import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes the lists page and count from (README, "Tables"), each replacing one that only those lists used:
 * - `workflows (tenant_id, id) include (status)` for `(tenant_id, id)`: `workflows` lists the tenant's active
 *   workflows unless `includeArchived`; with `status` in the index, the page and the count of either are read from
 *   the index alone (without it, a count of the active ones read every workflow of the tenant from the table).
 * - `workflow_versions (tenant_id, workflow_id, id)` for `(tenant_id, workflow_id)`: `Workflow.versions` reads
 *   its page from the index instead of sorting all of the workflow's versions.
 *
 * Plain `create index`, in the migrator's transaction (`create index concurrently` cannot run in one): it blocks
 * writes to the table while it builds, about a second per million rows for each index. A large installation may
 * build them beforehand with `create index concurrently` under the same names and definitions, which
 * `if not exists` then keeps; a concurrent build that failed leaves an invalid index of that name, which no query
 * would use, so it is dropped first. `set local lock_timeout` holds for this transaction alone: on a busy table the
 * migration fails after 5 s and can be run again, instead of queueing every save behind its lock request.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`set local lock_timeout = '5s'`);
    this.addSql(`do $$
      declare invalid text;
      begin
        for invalid in
          select c.relname from pg_index i
            join pg_class c on c.oid = i.indexrelid
            join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'workflows' and c.relname in ('workflows_tenant_id_status_idx', 'workflow_versions_tenant_workflow_id_idx')
            and not i.indisvalid
        loop
          execute format('drop index "workflows".%I', invalid);
        end loop;
      end $$`);
    this.addSql(`create index if not exists "workflows_tenant_id_status_idx" on "workflows"."workflows" ("tenant_id", "id") include ("status")`);
    this.addSql(`create index if not exists "workflow_versions_tenant_workflow_id_idx" on "workflows"."workflow_versions" ("tenant_id", "workflow_id", "id")`);
    this.addSql(`drop index if exists "workflows"."workflows_tenant_id_idx"`);
    this.addSql(`drop index if exists "workflows"."workflow_versions_tenant_idx"`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index if not exists "workflows_tenant_id_idx" on "workflows"."workflows" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "workflow_versions_tenant_idx" on "workflows"."workflow_versions" ("tenant_id", "workflow_id")`);
    this.addSql('drop index "workflows"."workflows_tenant_id_status_idx"');
    this.addSql('drop index "workflows"."workflow_versions_tenant_workflow_id_idx"');
  }
}
