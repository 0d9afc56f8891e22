import { Migration } from '@mikro-orm/migrations';

/** deleteFile keeps the row as a DELETED tombstone, so runs that name the file stay readable. */
export class Migration20261201090001 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "files"."files" drop constraint "files_status_check",
      add constraint "files_status_check" check ("status" in ('UPLOADING', 'READY', 'REJECTED', 'EXPIRED', 'DELETED'))`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "files"."files" where "status" = 'DELETED'`);
    this.addSql(`alter table "files"."files" drop constraint "files_status_check",
      add constraint "files_status_check" check ("status" in ('UPLOADING', 'READY', 'REJECTED', 'EXPIRED'))`);
  }
}
