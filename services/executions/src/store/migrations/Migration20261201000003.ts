import { Migration } from '@mikro-orm/migrations';

/**
 * The other files a run is given besides its input (`startExecution(input: {files})`), kept with the run: what a
 * lookup or header_row step reads under a key, checked and snapshotted when the run is accepted like the input,
 * `[{key, fileId, name, storageKey, size}]`. Null for a run given none (and for every run accepted before).
 */
export class Migration20261201000003 extends Migration {
  override async up(): Promise<void> {
    // Nullable and without a default: a catalog change only, whatever the table's size.
    this.addSql(`alter table "executions"."executions" add column "files" jsonb null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "executions"."executions" drop column "files"`);
  }
}
