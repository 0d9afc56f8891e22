import { randomUUID } from 'node:crypto';
import { defineEntity, p } from '@mikro-orm/core';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedCount, createOrm, encodeCursor, findPage, tenantEm, tenantFilter, tenantOf, type Orm } from '../src/index.js';

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

describe('tenantOf', () => {
  it('answers the tenant of a request\'s entity manager, for statements written by hand, and refuses one without', () => {
    expect(tenantOf(tenantEm(orm, mine))).toBe(mine);
    expect(() => tenantOf(orm.em.fork())).toThrow(/not scoped to a tenant/);
  });
});

describe('findPage', () => {
  // Rows of three tenants interleaved in id order, so that a page that let another tenant's ids in would show it.
  const many = randomUUID();
  const expected: Array<{ id: string; kind: string }> = [];
  beforeAll(async () => {
    const others = [mine, theirs];
    for (let i = 0; i < 30; i++) {
      const row = { id: randomUUID(), kind: i % 3 ? 'a' : 'b' };
      expected.push(row);
      await orm.em.fork().execute('insert into things values (?, ?, ?)', [row.id, many, row.kind]);
      await orm.em.fork().execute('insert into things values (?, ?, ?)', [randomUUID(), others[i % 2], row.kind]);
    }
    expected.sort((x, y) => (x.id < y.id ? -1 : 1));
  });

  /** Every page of `size` from the start, as a client follows `endCursor`. */
  async function walk(where: object, order: 'asc' | 'desc', size: number) {
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const { rows, count } = await findPage(tenantEm(orm, many), ThingEntity, where, { first: size, after }, order);
      ids.push(...rows.slice(0, size).map((r) => r.id));
      expect(await count()).toBe(expected.filter((r) => !('kind' in where) || r.kind === (where as { kind: string }).kind).length);
      if (rows.length <= size) return ids;
      after = encodeCursor(rows[size - 1]!.id);
    }
  }

  it('pages through the tenant\'s rows in id order, either way, under a filter, with one more row than the page', async () => {
    const asc = expected.map((r) => r.id);
    expect(await walk({}, 'asc', 7)).toEqual(asc);
    expect(await walk({}, 'desc', 7)).toEqual([...asc].reverse());
    expect(await walk({ kind: 'b' }, 'desc', 4)).toEqual(expected.filter((r) => r.kind === 'b').map((r) => r.id).reverse());
  });

  it('keeps a filter of its own on ids beside the cursor\'s', async () => {
    const [low, high] = [expected[5]!.id, expected[20]!.id];
    const { rows } = await findPage(tenantEm(orm, many), ThingEntity, { id: { $gte: low, $lt: high } }, { first: 100, after: encodeCursor(expected[15]!.id) }, 'desc');
    expect(rows.map((r) => r.id)).toEqual(expected.slice(5, 15).map((r) => r.id).reverse());
  });

  it('answers a page of none with whether anything follows, and another tenant\'s cursor with nothing of theirs', async () => {
    const { rows } = await findPage(tenantEm(orm, many), ThingEntity, {}, { first: 0 }, 'asc');
    expect(rows.map((r) => r.id)).toEqual([expected[0]!.id]);
    const theirsFirst = await findPage(tenantEm(orm, theirs), ThingEntity, {}, { first: 100, after: encodeCursor(expected[0]!.id) }, 'asc');
    expect(theirsFirst.rows.every((r) => r.tenantId === theirs)).toBe(true);
  });
});
