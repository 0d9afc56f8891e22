import { randomUUID } from 'node:crypto';
import { defineEntity, p } from '@mikro-orm/core';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedCount, createOrm, tenantEm, tenantFilter, type Orm } from '../src/index.js';

const ThingEntity = defineEntity({
  name: 'Thing', tableName: 'things', filters: tenantFilter,
  properties: { id: p.uuid().primary(), tenantId: p.uuid(), kind: p.string() },
});

let db: TestDatabase;
let orm: Orm;
const mine = randomUUID();
const theirs = randomUUID();

beforeAll(async () => {
  db = await createTestDatabase('kit_count');
  orm = await createOrm({ url: db.url, schema: 'public', entities: [ThingEntity as never], migrations: [], pool: { max: 2 } });
  await orm.em.fork().execute('create table things (id uuid primary key, tenant_id uuid not null, kind text not null)');
  // The other tenant holds more of every kind: a count that let it in could not match the caller's own.
  const rows = [[mine, 'a'], [mine, 'b'], ...Array.from({ length: 5 }, () => [theirs, 'a']), [theirs, 'b']];
  for (const [tenant, kind] of rows) await orm.em.fork().execute('insert into things values (?, ?, ?)', [randomUUID(), tenant, kind]);
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

/** Runs `fn` while another session holds the table, so that any statement reading it waits. */
async function whileLocked<T>(fn: () => Promise<T>): Promise<T> {
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table things in access exclusive mode');
    return await fn();
  } finally {
    await holder.query('rollback');
    await holder.end();
  }
}

describe('boundedCount', () => {
  it('counts through the request\'s entity manager in its own transaction, keeping its tenant filter', async () => {
    expect(await boundedCount(tenantEm(orm, mine), ThingEntity, {})()).toBe(2);
    expect(await boundedCount(tenantEm(orm, mine), ThingEntity, { kind: 'a' })()).toBe(1);
    expect(await boundedCount(tenantEm(orm, theirs), ThingEntity, {})()).toBe(6);
  });

  it('gives up after its timeout with COUNT_TIMEOUT, and leaves the pooled connections their own timeout', async () => {
    const started = Date.now();
    const failure = await whileLocked(() => boundedCount(tenantEm(orm, mine), ThingEntity, {}, 200)().then(() => null, (err: unknown) => err));
    expect(failure).toMatchObject({ code: 'COUNT_TIMEOUT', details: { timeoutMs: 200 } });
    expect(Date.now() - started).toBeLessThan(5_000);
    for (let i = 0; i < 2; i++) {
      const [row] = await orm.em.fork().execute<Array<{ statement_timeout: string }>>('show statement_timeout');
      expect(row!.statement_timeout).toBe('0');
    }
    expect(await boundedCount(tenantEm(orm, mine), ThingEntity, {}, 200)()).toBe(2);
  });

  it('lets any other failure through as it is', async () => {
    const failure = await boundedCount(tenantEm(orm, mine), ThingEntity, { kind: { $in: [] } as never, nope: 1 } as never)().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { code?: string }).code).not.toBe('COUNT_TIMEOUT');
  });
});
