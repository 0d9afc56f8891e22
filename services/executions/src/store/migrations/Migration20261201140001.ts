import { Migration } from '@mikro-orm/migrations';

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
 * Plain `create index`, in the migrator's transaction (`create index concurrently` cannot run in one): it blocks
 * writes to executions while it builds, seconds per million runs for each index. A large installation may build
 * them beforehand with `create index concurrently` under the same names and definitions, which `if not exists`
 * then keeps; a concurrent build that failed leaves an invalid index of that name, which no query would use, so it
 * is dropped first. `set local lock_timeout` holds for this transaction alone: on a busy table the migration fails
 * after 5 s and can be run again, instead of queueing every write to executions behind its lock request.
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
          where n.nspname = 'executions' and c.relname in ('executions_tenant_id_created_idx', 'executions_tenant_status_id_idx')
            and not i.indisvalid
        loop
          execute format('drop index "executions".%I', invalid);
        end loop;
      end $$`);
    this.addSql(`create index if not exists "executions_tenant_id_created_idx" on "executions"."executions" ("tenant_id", "id") include ("created_at")`);
    this.addSql(`create index if not exists "executions_tenant_status_id_idx" on "executions"."executions" ("tenant_id", "status", "id") include ("created_at")`);
    this.addSql(`drop index if exists "executions"."executions_tenant_idx"`);
    this.addSql(`drop index if exists "executions"."executions_tenant_status_created_idx"`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index if not exists "executions_tenant_idx" on "executions"."executions" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "executions_tenant_status_created_idx" on "executions"."executions" ("tenant_id", "status", "created_at")`);
    this.addSql('drop index "executions"."executions_tenant_id_created_idx"');
    this.addSql('drop index "executions"."executions_tenant_status_id_idx"');
  }
}
