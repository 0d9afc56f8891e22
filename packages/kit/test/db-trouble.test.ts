import { createServer } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, databaseTrouble, databaseTroubleText, type Orm } from '../src/index.js';

let db: TestDatabase;
let orm: Orm;
const options = { schema: 'public', entities: [], migrations: [], extra: { discovery: { warnWhenNoEntities: false } } };

beforeAll(async () => {
  db = await createTestDatabase('kit_trouble');
  orm = await createOrm({ url: db.url, pool: { max: 4 }, ...options });
  await orm.em.fork().execute('create table "t" ("id" int primary key)');
  await orm.em.fork().execute('insert into "t" values (1), (2)');
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

/** The error `work` fails with, as the ORM gives it. */
const failure = (work: Promise<unknown>) => work.then(() => { throw new Error('it did not fail'); }, (err: unknown) => err);

describe('the kind of trouble of a database call\'s error, from real PostgreSQL and pg', () => {
  it('is "unavailable" for a session PostgreSQL ended under a statement (57P01, or pg\'s lost connection)', async () => {
    const err = await failure(orm.em.fork().transactional(async (tx) => {
      const [{ pid }] = await tx.execute<Array<{ pid: number }>>('select pg_backend_pid() as "pid"');
      await orm.em.fork().execute('select pg_terminate_backend(?)', [pid]);
      await tx.execute('select 1');
    }));
    expect(databaseTrouble(err)).toBe('unavailable');
  });

  it('is "unavailable" for a server nothing answers on (ECONNREFUSED)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const away = await createOrm({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, ...options, extra: { ...options.extra, connect: false } });
    try {
      expect(databaseTrouble(await failure(away.em.fork().execute('select 1')))).toBe('unavailable');
    } finally {
      await away.close();
    }
  });

  it('is "busy" for a deadlock and for a statement or lock timeout', async () => {
    const lock = (tx: { execute(sql: string, params?: unknown[]): Promise<unknown> }, id: number) => tx.execute('select 1 from "t" where "id" = ? for update', [id]);
    let firstLocked!: () => void;
    let secondLocked!: () => void;
    const first = new Promise<void>((r) => { firstLocked = r; });
    const second = new Promise<void>((r) => { secondLocked = r; });
    // Each takes one row, then waits for the other's: PostgreSQL ends one of them (40P01).
    const results = await Promise.allSettled([
      orm.em.fork().transactional(async (tx) => { await lock(tx, 1); firstLocked(); await second; await lock(tx, 2); }),
      orm.em.fork().transactional(async (tx) => { await lock(tx, 2); secondLocked(); await first; await lock(tx, 1); }),
    ]);
    const deadlocked = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(databaseTrouble(deadlocked.reason)).toBe('busy');

    const timedOut = await failure(orm.em.fork().transactional(async (tx) => {
      await tx.execute('set local statement_timeout = 50');
      await tx.execute('select pg_sleep(2)');
    }));
    expect(databaseTrouble(timedOut)).toBe('busy');

    // A row another transaction holds, waited for past lock_timeout (55P03).
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    let held!: () => void;
    const holding = new Promise<void>((r) => { held = r; });
    const holder = orm.em.fork().transactional(async (tx) => { await lock(tx, 1); held(); await released; });
    await holding;
    const lockTimedOut = await failure(orm.em.fork().transactional(async (tx) => {
      await tx.execute('set local lock_timeout = 50');
      await lock(tx, 1);
    }));
    release();
    await holder;
    expect((lockTimedOut as { code?: string }).code).toBe('55P03');
    expect(databaseTrouble(lockTimedOut)).toBe('busy');
  });

  it('is nothing for an error of the statement itself: a constraint violation, an unknown table', async () => {
    expect(databaseTrouble(await failure(orm.em.fork().execute('insert into "t" values (1)')))).toBeUndefined();
    expect(databaseTrouble(await failure(orm.em.fork().execute('select * from "no_such_table"')))).toBeUndefined();
    expect(databaseTrouble(new TypeError('Cannot read properties of undefined (reading \'id\')'))).toBeUndefined();
    expect(databaseTrouble('a string')).toBeUndefined();
  });

  it('is told users in fixed words, never the error\'s own message, and not at all for an error of the statement', () => {
    const pg = (message: string, code: string) => Object.assign(new Error(message), { code });
    expect(databaseTroubleText(pg('terminating connection due to administrator command', '57P01'))).toBe('the database was unavailable');
    expect(databaseTroubleText(pg('deadlock detected', '40P01'))).toBe('the database was busy');
    expect(databaseTroubleText(pg('duplicate key value violates unique constraint "t_pkey"', '23505'))).toBeUndefined();
  });
});
