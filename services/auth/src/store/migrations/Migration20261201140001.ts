import { Migration } from '@mikro-orm/migrations';

/**
 * `auditEvents(type)` pages and counts a tenant's events of one type from `(tenant_id, type, id)`: without it a
 * page walked the tenant's events (or the primary key) and dropped the other types one by one, and a count read
 * every event of the tenant from the table. `(tenant_id, at)` goes: no query reads it (the log pages by its
 * time-ordered ids, through `(tenant_id, id)`), and every log-in wrote an entry to it.
 *
 * Plain `create index`, in the migrator's transaction (`create index concurrently` cannot run in one): it blocks
 * writes to audit_events, hence log-ins, while it builds, about a second per million events. A large installation
 * may build it beforehand with `create index concurrently` under the same name and definition, which
 * `if not exists` then keeps; a concurrent build that failed leaves an invalid index of that name, which no query
 * would use, so it is dropped first. `set local lock_timeout` holds for this transaction alone: on a busy table the
 * migration fails after 5 s and can be run again, instead of queueing every log-in behind its lock request.
 */
export class Migration20261201140001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`set local lock_timeout = '5s'`);
    this.addSql(`do $$
      begin
        if exists (
          select 1 from pg_index i
            join pg_class c on c.oid = i.indexrelid
            join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'auth' and c.relname = 'audit_events_tenant_type_id_idx' and not i.indisvalid
        ) then
          drop index "auth"."audit_events_tenant_type_id_idx";
        end if;
      end $$`);
    this.addSql(`create index if not exists "audit_events_tenant_type_id_idx" on "auth"."audit_events" ("tenant_id", "type", "id")`);
    this.addSql(`drop index if exists "auth"."audit_events_tenant_idx"`);
    // `set local` lasts until the outer transaction ends, and migrations applied after this one share it.
    this.addSql(`set local lock_timeout to default`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index if not exists "audit_events_tenant_idx" on "auth"."audit_events" ("tenant_id", "at")`);
    this.addSql('drop index "auth"."audit_events_tenant_type_id_idx"');
  }
}
