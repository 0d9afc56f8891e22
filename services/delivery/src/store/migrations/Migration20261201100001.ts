import { Migration } from '@mikro-orm/migrations';

/** `Destination.routes` and deleting a destination find its routes by destination: an index for that walk. */
export class Migration20261201100001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "routes_tenant_destination_idx" on "delivery"."routes" ("tenant_id", "destination_id")`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index "delivery"."routes_tenant_destination_idx"');
  }
}
