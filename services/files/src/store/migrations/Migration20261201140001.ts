import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * `files(kind)` lists the tenant's files other than DELETED ones: its page and its count are read from an index
 * alone when the index holds `status` (README, "Tables"). `(tenant_id, id) include (status)` and
 * `(tenant_id, kind, id) include (status)` replace `(tenant_id, id)` and `(tenant_id, kind, id)`, which only the
 * list used: without `status`, a page visited each file's row to leave out the deleted ones (and the planner
 * preferred the primary key for that walk), and a count by kind read all the tenant's files of that kind.
 *
 * How they are built (in the migrator's transaction, a failed concurrent build's leftover dropped first,
 * a 5 s lock timeout): kit's indexMigrationSql.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('files', [
      { name: 'files_tenant_id_status_idx', table: 'files', columns: ['tenant_id', 'id'], include: ['status'] },
      { name: 'files_tenant_kind_id_status_idx', table: 'files', columns: ['tenant_id', 'kind', 'id'], include: ['status'] },
    ], ['files_tenant_id_idx', 'files_tenant_kind_id_idx'])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql(`create index if not exists "files_tenant_id_idx" on "files"."files" ("tenant_id", "id")`);
    this.addSql(`create index if not exists "files_tenant_kind_id_idx" on "files"."files" ("tenant_id", "kind", "id")`);
    this.addSql('drop index "files"."files_tenant_id_status_idx"');
    this.addSql('drop index "files"."files_tenant_kind_id_status_idx"');
  }
}
