import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresServer, type TestDatabase } from '@rowline/testing';

async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase('isolation a'), createTestDatabase('isolation b')]);
  });
  afterAll(async () => {
    await Promise.all([first?.drop(), second?.drop()]);
  });

  it('gives each caller its own database on the run’s server', async () => {
    expect(first.name).not.toBe(second.name);
    expect(first.name).toMatch(/^rl_[a-z0-9]+_isolation_a_[0-9a-f]{8}$/);
    expect(await query(first.url, 'SELECT current_database() AS db')).toEqual([{ db: first.name }]);
    expect(await query(second.url, 'SELECT current_database() AS db')).toEqual([{ db: second.name }]);
  });

  it('keeps what one test database holds out of another', async () => {
    await query(first.url, 'CREATE TABLE invoices (id int PRIMARY KEY); INSERT INTO invoices VALUES (1), (2)');
    expect(await query(first.url, 'SELECT count(*)::int AS n FROM invoices')).toEqual([{ n: 2 }]);
    await expect(query(second.url, 'SELECT count(*) FROM invoices')).rejects.toThrow(/relation "invoices" does not exist/);
    await query(second.url, 'CREATE TABLE invoices (id int PRIMARY KEY)');
    expect(await query(second.url, 'SELECT count(*)::int AS n FROM invoices')).toEqual([{ n: 0 }]);
  });

  it('drops a database, and with it every open connection', async () => {
    const db = await createTestDatabase('dropped');
    const held = new pg.Client({ connectionString: db.url });
    await held.connect();
    held.on('error', () => undefined);
    await db.drop();
    const { adminUrl } = await postgresServer();
    const rows = await query(adminUrl, `SELECT datname FROM pg_database WHERE datname = '${db.name}'`);
    expect(rows).toEqual([]);
    await held.end().catch(() => undefined);
  });
});
