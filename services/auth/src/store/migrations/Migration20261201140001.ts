import { Migration } from '@mikro-orm/migrations';
import { indexMigrationSql } from '@rowline/kit';

/**
 * `auditEvents(type)` pages and counts a tenant's events of one type from `(tenant_id, type, id)`: without it a
 * page walked the tenant's events (or the primary key) and dropped the other types one by one, and a count read
 * every event of the tenant from the table. `(tenant_id, at)` goes: no query reads it (the log pages by its
 * time-ordered ids, through `(tenant_id, id)`), and every log-in wrote an entry to it.
 *
 * How they are built (in the migrator's transaction, a failed concurrent build's leftover dropped first,
 * a 5 s lock timeout): kit's indexMigrationSql.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    for (const sql of indexMigrationSql('auth', [
      { name: 'audit_events_tenant_type_id_idx', table: 'audit_events', columns: ['tenant_id', 'type', 'id'] },
    ], ['audit_events_tenant_idx'])) this.addSql(sql);
  }


  override async down(): Promise<void> {
    this.addSql(`create index if not exists "audit_events_tenant_idx" on "auth"."audit_events" ("tenant_id", "at")`);
    this.addSql('drop index "auth"."audit_events_tenant_type_id_idx"');
  }
}
