import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';

/**
 * A fresh database for one test file, from @rowline/testing's server for the run. Until vitest.config.ts
 * registers its globalSetup, falls back to a database on DATABASE_URL (default: the local server).
 */
export async function createDatabase(): Promise<Pick<TestDatabase, 'url' | 'drop'>> {
  try {
    return await createTestDatabase('delivery');
  } catch (err) {
    if (!/has no test servers/.test((err as Error).message)) throw err;
    return databaseOnDatabaseUrl();
  }
}

async function databaseOnDatabaseUrl() {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `delivery_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`The delivery tests need PostgreSQL: set DATABASE_URL to a server where they may create databases (${(err as Error).message})`);
  }
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client(adminUrl);
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}
