import ExcelJS from 'exceljs';

const REGIONS = ['North', 'South', 'East', 'West', 'Central'];
const CATEGORIES = ['A', 'B', 'C', 'D'];
const STATUSES = ['open', 'closed', 'void'];

/** A small deterministic PRNG (mulberry32), so the demo workbook is the same on every machine. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SalesRow = { order_id: number; region: string; product: string; category: string; quantity: number; unit_price: number; amount: number; date: Date; status: string; rep: string };

/** The demo's sales rows: the same ten columns as the benchmark workbook (../shared/baselines/gen_sales.py). */
export function demoSalesRows(count = 500, seed = 42): SalesRow[] {
  const r = random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const quantity = 1 + Math.floor(r() * 50);
    const unitPrice = Math.round((1 + r() * 499) * 100) / 100;
    return {
      order_id: i + 1, region: pick(REGIONS), product: `P${String(1 + Math.floor(r() * 2000)).padStart(4, '0')}`,
      category: pick(CATEGORIES), quantity, unit_price: unitPrice, amount: Math.round(quantity * unitPrice * 100) / 100,
      date: new Date(Date.UTC(2024, 0, 1 + Math.floor(r() * 700))), status: pick(STATUSES), rep: `rep${1 + Math.floor(r() * 300)}`,
    };
  });
}

export async function demoWorkbook(rows = demoSalesRows()): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sales');
  const columns = Object.keys(rows[0]!) as Array<keyof SalesRow>;
  ws.addRow(columns);
  for (const row of rows) ws.addRow(columns.map((c) => row[c]));
  ws.getColumn(8).numFmt = 'yyyy-mm-dd';
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The demo workflow: the seed system's weekly chore (keep real sales, sum by region, biggest first). */
export const DEMO_STEPS = [
  { type: 'filter', params: { sheet: 'Sales', where: { all: [
    { column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
  { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region'],
    measures: [{ column: 'amount', fn: 'sum', as: 'amount' }, { column: 'order_id', fn: 'count', as: 'orders' }] } },
  { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
  { type: 'output', params: { artifacts: [{ name: 'report.xlsx', format: 'xlsx', sheets: [{ from: 'Sales', as: 'Filtered' }, { from: 'Summary' }] }] } },
];
