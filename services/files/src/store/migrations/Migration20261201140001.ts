import { Migration } from '@mikro-orm/migrations';

/**
 * `files(kind)` lists the tenant's files other than DELETED ones: its page and its count are read from an index
 * alone when the index holds `status` (README, "Tables"). `(tenant_id, id) include (status)` and
 * `(tenant_id, kind, id) include (status)` replace `(tenant_id, id)` and `(tenant_id, kind, id)`, which only the
 * list used: without `status`, a page visited each file's row to leave out the deleted ones (and the planner
 * preferred the primary key for that walk), and a count by kind read all the tenant's files of that kind.
 *
 * Plain `create index`, in the migrator's transaction (`create index concurrently` cannot run in one): it blocks
 * writes to files while it builds, about a second per million files for each index. A large installation may
 * build them beforehand with `create index concurrently` under the same names and definitions, which
 * `if not exists` then keeps; a concurrent build that failed leaves an invalid index of that name, which no query
 * would use, so it is dropped first. `set local lock_timeout` holds for this transaction alone: on a busy table
 * the migration fails after 5 s and can be run again, instead of queueing every upload behind its lock request.
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
          where n.nspname = 'files' and c.relname in ('files_tenant_id_status_idx', 'files_tenant_kind_id_status_idx')
            and not i.indisvalid
        loop
          execute format('drop index "files".%I', invalid);
        end loop;
      end $$`);
    this.addSql(`create index if not exists "files_tenant_id_status_idx" on "files"."files" ("tenant_id", "id") include ("status")`);
    this.addSql(`create index if not exists "files_tenant_kind_id_status_idx" on "files"."files" ("tenant_id", "kind", "id") include ("status")`);
    this.addSql(`drop index if exists "files"."files_tenant_id_idx"`);
    this.addSql(`drop index if exists "files"."files_tenant_kind_id_idx"`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index if not exists "files_tenant_id_idx" on "files"."files" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "files_tenant_kind_id_idx" on "files"."files" ("tenant_id", "kind", "id")`);
    this.addSql('drop index "files"."files_tenant_id_status_idx"');
    this.addSql('drop index "files"."files_tenant_kind_id_status_idx"');
  }
}
