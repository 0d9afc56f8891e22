import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrm, type Orm } from '../src/index.js';

let db: TestDatabase;
let orm: Orm;

beforeAll(async () => {
  db = await createTestDatabase('kit_orm');
  orm = await createOrm({ url: db.url, schema: 'public', entities: [], migrations: [], pool: { max: 2 }, extra: { discovery: { warnWhenNoEntities: false } } });
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

/** A transaction whose session PostgreSQL ends while it is open (as a restart or a timeout would). */
async function transactionOnAKilledSession(): Promise<unknown> {
  return orm.em.fork().transactional(async (tx) => {
    const [{ pid }] = await tx.execute<Array<{ pid: number }>>('select pg_backend_pid() as "pid"');
    await orm.em.fork().execute('select pg_terminate_backend(?)', [pid]);
    await tx.execute('select 1');
  }).then(() => 'committed', (err: Error) => err.message);
}

describe('a transaction whose connection PostgreSQL closed', () => {
  it('fails with the connection error and gives its pool slot back, again and again', async () => {
    const pool = await orm.em.getConnection().getNativeClient();
    // More failures than the pool has connections: a leaked slot each time would leave none by the third.
    for (let i = 0; i < 4; i++) {
      expect(await transactionOnAKilledSession()).toMatch(/terminat|connection/i);
      expect(pool.totalCount - pool.idleCount).toBe(0);
    }
    const [row] = await orm.em.fork().transactional((tx) => tx.execute<Array<{ ok: number }>>('select 1 as "ok"'));
    expect(row).toEqual({ ok: 1 });
  });
});
