import { describe, expect, it } from 'vitest';
import { csv, run, sheetAfter } from '../helpers.js';

const DUPS = 'id,email,n\n1,a@x.com,1\n2,B@x.com,2\n3,a@x.com,3\n4,b@x.com,4\n5,,5\n6,,6\n';

describe('dedupe', () => {
  it('keeps the first row of each key by default', async () => {
    const s = await sheetAfter([{ type: 'dedupe', params: { columns: ['email'] } }], DUPS);
    expect(s.rows.map((r) => r[0])).toEqual([1, 2, 4, 5]);
  });

  it('keeps the last row of each key, case-insensitively', async () => {
    const s = await sheetAfter([{ type: 'dedupe', params: { columns: ['email'], keep: 'last', caseInsensitive: true } }], DUPS);
    expect(s.rows.map((r) => r[0])).toEqual([3, 4, 6]);
  });

  it('compares whole rows without columns', async () => {
    const s = await sheetAfter([{ type: 'dedupe', params: {} }], 'a,b\n1,x\n1,x\n1,y\n');
    expect(s.rows).toEqual([[1, 'x'], [1, 'y']]);
  });
});

const ORDERS = 'order,customer,amount\n1,C1,10\n2,C2,20\n3,C9,30\n4,c1,40\n';
const CUSTOMERS = 'id,name,tier\nC1,Ana,gold\nC2,Bo,silver\nC2,Bob,bronze\n';

describe('lookup', () => {
  it('joins to another file, left mode keeping rows without a match', async () => {
    const r = await run(
      [{ type: 'lookup', params: { from: { file: 'customers' }, on: [{ left: 'customer', right: 'id' }], columns: [{ column: 'name' }, { column: 'tier', as: 'level' }] } }],
      csv(ORDERS, 'Orders.csv'),
      { files: { customers: csv(CUSTOMERS, 'customers.csv') } },
    );
    const s = (await r.sheets())['Orders']!;
    expect(s.columns).toEqual(['order', 'customer', 'amount', 'name', 'level']);
    expect(s.rows.map((x) => x.slice(3))).toEqual([['Ana', 'gold'], ['Bo', 'silver'], [null, null], [null, null]]);
  });

  it('matches case-insensitively, drops unmatched rows in inner mode, and takes the last duplicate when asked', async () => {
    const r = await run(
      [{ type: 'lookup', params: { from: { file: 'c' }, on: [{ left: 'customer', right: 'id' }], columns: [{ column: 'name' }], mode: 'inner', multiple: 'last', caseInsensitive: true } }],
      csv(ORDERS, 'Orders.csv'),
      { files: { c: csv(CUSTOMERS, 'c.csv') } },
    );
    expect((await r.sheets())['Orders']!.rows.map((x) => [x[0], x[3]])).toEqual([[1, 'Ana'], [2, 'Bob'], [4, 'Ana']]);
  });

  it('joins to another sheet of the workbook, even one derived from the same sheet', async () => {
    const s = await sheetAfter(
      [
        { type: 'aggregate', params: { into: 'Totals', groupBy: ['customer'], measures: [{ column: 'amount', fn: 'sum', as: 'total' }] } },
        { type: 'lookup', params: { from: { sheet: 'Totals' }, on: [{ left: 'customer', right: 'customer' }], columns: [{ column: 'total' }] } },
      ],
      ORDERS,
    );
    expect(s.rows.map((x) => x[3])).toEqual([10, 20, 30, 40]);
  });

  it('matches numbers with numeric text and fails on duplicates when multiple is error', async () => {
    const s = await sheetAfter([{ type: 'lookup', params: { from: { file: 'k' }, on: [{ left: 'id', right: 'key' }], columns: [{ column: 'v' }] } }], 'id\n7\n8\n').catch((e) => e);
    expect(s).toMatchObject({ code: 'FILE_NOT_FOUND' });
    const r = await run([{ type: 'lookup', params: { from: { file: 'k' }, on: [{ left: 'id', right: 'key' }], columns: [{ column: 'v' }] } }], csv('id\n7\n8\n'), {
      files: { k: csv('key,v\n"007x",no\n7,seven\n', 'k.csv') },
    });
    expect((await r.sheets())['Sales']!.rows).toEqual([[7, 'seven'], [8, null]]);
    await expect(
      run([{ type: 'lookup', params: { from: { file: 'c' }, on: [{ left: 'customer', right: 'id' }], columns: [{ column: 'name' }], multiple: 'error' } }], csv(ORDERS), { files: { c: csv(CUSTOMERS) } }),
    ).rejects.toMatchObject({ code: 'DUPLICATE_KEY', step: 0 });
  });

  it('fails at the step that reads a file that cannot be opened, keeping what open threw as the cause', async () => {
    const gone = new Error('the file is gone');
    const steps = [
      { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 0 } } },
      { type: 'lookup', params: { from: { file: 'c' }, on: [{ left: 'customer', right: 'id' }], columns: [{ column: 'name' }] } },
    ];
    const failed = await run(steps, csv(ORDERS), { files: { c: { fileName: 'c.csv', open: () => Promise.reject(gone) } } }).catch((e) => e);
    expect(failed).toMatchObject({ code: 'UNSUPPORTED_FILE', step: 1, message: 'cannot open c.csv: the file is gone', cause: gone });
  });
});
