import { Migration } from '@mikro-orm/migrations';

/** The input's size, kept with the run so that the engine can tell a csv's progress in percent. */
export class Migration20261201000001 extends Migration {
  override async up(): Promise<void> {
    // Nullable and without a default: a column added so is only a catalog change, whatever the table's size.
    this.addSql(`alter table "executions"."executions" add column "input_size" bigint null`);
  }
}
