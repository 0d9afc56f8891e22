import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes the lists page and count from (README, "Tables"):
 * - `deliveries (tenant_id, id)` and `(tenant_id, status, id)`: the ledger, newest first, all of it or by status.
 *   Without them a page walked the primary key and dropped other tenants' deliveries one by one (for a tenant
 *   quiet for a month, every delivery made since), and a count by status read the tenant's deliveries.
 * - `routes (tenant_id, workflow_id, id)` and `(tenant_id, destination_id, id)` replace the same indexes without
 *   `id`: `Workflow.routes` and `Destination.routes` (and the consumer's routes of a run, in id order) read a page
 *   from the index instead of sorting all of the workflow's or destination's routes.
 *
 * Plain `create index`, in the migrator's transaction (`create index concurrently` cannot run in one): it blocks
 * writes to the table while it builds, about a second per million deliveries for each index (routes are few). A
 * large installation may build them beforehand with `create index concurrently` under the same names and
 * definitions, which `if not exists` then keeps; a concurrent build that failed leaves an invalid index of that
 * name, which no query would use, so it is dropped first. `set local lock_timeout` holds for this transaction
 * alone: on a busy table the migration fails after 5 s and can be run again, instead of queueing the ledger's
 * writes behind its lock request.
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
          where n.nspname = 'delivery' and not i.indisvalid and c.relname in (
            'deliveries_tenant_id_idx', 'deliveries_tenant_status_id_idx', 'routes_tenant_workflow_id_idx', 'routes_tenant_destination_id_idx')
        loop
          execute format('drop index "delivery".%I', invalid);
        end loop;
      end $$`);
    this.addSql(`create index if not exists "deliveries_tenant_id_idx" on "delivery"."deliveries" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "deliveries_tenant_status_id_idx" on "delivery"."deliveries" ("tenant_id", "status", "id")`);
    this.addSql(`create index if not exists "routes_tenant_workflow_id_idx" on "delivery"."routes" ("tenant_id", "workflow_id", "id")`);
    this.addSql(`create index if not exists "routes_tenant_destination_id_idx" on "delivery"."routes" ("tenant_id", "destination_id", "id")`);
    this.addSql(`drop index if exists "delivery"."routes_tenant_workflow_idx"`);
    this.addSql(`drop index if exists "delivery"."routes_tenant_destination_idx"`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
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
