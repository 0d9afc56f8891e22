import pg from 'pg';
import { migrate } from '@rowline/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, SCHEMA } from '../src/index.js';
import { startExecutionsDatabase, type ExecutionsDatabase } from './support/database.js';

const INDEX = 'executions.executions_tenant_status_created_idx';
const MIGRATION = 'Migration20261201000002';

// A database at this migration's version: the next one (20261201140001) replaces its index.
let db: ExecutionsDatabase;
beforeAll(async () => { db = await startExecutionsDatabase({ through: MIGRATION }); });
afterAll(async () => { await db?.stop(); });

const indexState = async () => (await db.sql<{ oid: number; valid: boolean }>(
  `select indexrelid::int as oid, indisvalid as valid from pg_index where indexrelid = to_regclass('${INDEX}')`))[0];

/** Applies the counts index migration again, as on a database where an operator prepared the index. */
async function reapply() {
  await db.sql(`delete from executions.mikro_orm_migrations where name = ?`, [MIGRATION]);
  await migrate(db.orm, SCHEMA);
}

describe(`${MIGRATION} (the counts index)`, () => {
  it('keeps a valid index built beforehand under its name', async () => {
    const before = await indexState();
    expect(before?.valid).toBe(true);
    await reapply();
    expect(await indexState()).toEqual(before);
  });

  it('drops an invalid one (a concurrent build that failed) and builds it again', async () => {
    // What `create index concurrently` leaves when it fails; set by hand, as the tests run as a superuser.
    await db.sql(`update pg_index set indisvalid = false where indexrelid = '${INDEX}'::regclass`);
    const invalid = await indexState();
    expect(invalid?.valid).toBe(false);
    await reapply();
    const rebuilt = await indexState();
    expect(rebuilt?.valid).toBe(true);
    expect(rebuilt?.oid).not.toBe(invalid?.oid);
  });

  it('fails after its lock timeout while the table is being written, instead of holding writes behind it', async () => {
    await db.sql(`drop index ${INDEX}`);
    await db.sql(`delete from executions.mikro_orm_migrations where name = ?`, [MIGRATION]);
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let attempt: Promise<string> | undefined;
    try {
      await writer.query('begin');
      await writer.query('lock table executions.executions in row exclusive mode');
      attempt = migrate(db.orm, SCHEMA).then(() => 'applied', (err: Error) => err.message);
      const waited = new Promise<string>((done) => setTimeout(() => done('still waiting for its lock after 15 s'), 15_000));
      expect(await Promise.race([attempt, waited])).toMatch(/lock timeout/i);
    } finally {
      await writer.query('rollback');
      await writer.end();
      await attempt;
    }
    expect(await indexState()).toBeUndefined();
    await migrate(db.orm, SCHEMA);
    expect((await indexState())?.valid).toBe(true);
    // The timeout was the migration's own: the connection it ran on went back with the server's.
    const settings = await db.sql<{ lock_timeout: string }>('show lock_timeout');
    expect(settings[0]?.lock_timeout).toBe('0');
  });
});
