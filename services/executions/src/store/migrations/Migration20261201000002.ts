import { Migration } from '@mikro-orm/migrations';

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
    this.addSql(`set local lock_timeout = '5s'`);
    this.addSql(`do $$
      begin
        if exists (
          select 1 from pg_index i
            join pg_class c on c.oid = i.indexrelid
            join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'executions' and c.relname = 'executions_tenant_status_created_idx' and not i.indisvalid
        ) then
          drop index "executions"."executions_tenant_status_created_idx";
        end if;
      end $$`);
    this.addSql(`create index if not exists "executions_tenant_status_created_idx" on "executions"."executions" ("tenant_id", "status", "created_at")`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "executions"."executions_tenant_status_created_idx"');
  }
}
