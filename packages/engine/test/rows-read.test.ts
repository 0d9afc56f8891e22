import { describe, expect, it } from 'vitest';
import { fileKeys } from '../src/index.js';
import { csv, run } from './helpers.js';

const ORDERS = 'order,customer,amount\n1,c1,10\n2,c2,20\n3,c9,30\n';
const CUSTOMERS = 'id,name\nc1,Ana\nc2,Bob\nc3,Cy\nc4,Di\nc5,Ed\n';
const lookup = { type: 'lookup', params: { from: { file: 'customers' }, on: [{ left: 'customer', right: 'id' }], columns: [{ column: 'name' }] } };

describe('rowsRead: the data rows a run read from its input', () => {
  it('counts the input\'s rows, not a lookup file\'s, whichever is read first', async () => {
    const progress: number[] = [];
    const r = await run([lookup], csv(ORDERS, 'Orders.csv'), { files: { customers: csv(CUSTOMERS, 'customers.csv') }, onProgress: (p) => progress.push(p.rowsProcessed) });
    expect(r.result.rowsRead).toBe(3);
    expect(Math.max(...progress)).toBe(3);
  });

  it('leaves out the rows above a header_row\'s header, which its first step counts in rowsIn', async () => {
    const r = await run([{ type: 'header_row', params: { row: 3 } }, { type: 'filter', params: { where: { column: 'amount', op: 'gt', value: 0 } } }],
      csv(`Weekly orders\nexported today\n${ORDERS}`, 'Orders.csv'));
    expect(r.result.steps[0]!.rowsIn).toBe(5);
    expect(r.result.rowsRead).toBe(3);
  });

  it('counts a header_row of a lookup file toward nothing', async () => {
    const r = await run([{ type: 'header_row', params: { file: 'customers', row: 2 } }, lookup],
      csv(ORDERS, 'Orders.csv'), { files: { customers: csv(`Customers\n${CUSTOMERS}`, 'customers.csv') } });
    expect(r.result.rowsRead).toBe(3);
  });
});

describe('fileKeys', () => {
  it('answers each file key the steps read once, in step order, and none for steps that read no file', () => {
    expect(fileKeys([
      { type: 'header_row', params: { file: 'rates', row: 2 } },
      { type: 'filter', params: { where: { column: 'a', op: 'eq', value: 1 } } },
      { type: 'lookup', params: { from: { file: 'prices', sheet: 'Prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } },
      { type: 'lookup', params: { from: { file: 'rates' }, on: [{ left: 'cur', right: 'cur' }], columns: [{ column: 'rate' }] } },
      { type: 'lookup', params: { from: { sheet: 'Other' }, on: [{ left: 'a', right: 'a' }], columns: [{ column: 'b' }] } },
      { type: 'lookup', params: {} },
      { type: 'nope', params: { file: 'x' } },
    ])).toEqual(['rates', 'prices']);
  });
});
