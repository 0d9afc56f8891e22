/**
 * npm run bench -- engine-small [RUNS] (from the repo root): the cost of one SMALL run, which dominates the
 * pipeline benchmark. A 100-row sales workbook (written by exceljs, shared strings and a date style, like an
 * upload from Excel) goes through filter, aggregate and an xlsx output, in process: 50 runs, 500 more, then
 * RUNS more (default 1000). Prints, for each stretch, CPU ms per run (process.cpuUsage: every thread, zlib,
 * fs and V8's compiler and GC threads included), the share of it in GC pauses, and runs/s (one process).
 *
 *   --rows N   rows of the workbook (default 100)
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { runWorkflow } from '../dist/index.js';
import { SMALL_RUN_STEPS } from './small-run.mjs';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const rowsAt = args.indexOf('--rows');
const rows = rowsAt >= 0 ? Number(args[rowsAt + 1]) : 100;

async function workbook(count) {
  const regions = ['North', 'South', 'East', 'West', 'Central'];
  const statuses = ['open', 'closed', 'void'];
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sales');
  ws.addRow(['order_id', 'region', 'product', 'category', 'quantity', 'unit_price', 'amount', 'date', 'status', 'rep']);
  for (let i = 0; i < count; i++) {
    const quantity = 1 + ((i * 7) % 50);
    const price = 1 + ((i * 7919) % 49900) / 100;
    ws.addRow([i + 1, regions[i % 5], `P${String(1 + ((i * 31) % 2000)).padStart(4, '0')}`, 'ABCD'[i % 4], quantity, price, Math.round(quantity * price * 100) / 100, new Date(Date.UTC(2024, 0, 1 + (i % 700))), statuses[(i * 13) % 3], `rep${1 + (i % 300)}`]);
  }
  ws.getColumn(8).numFmt = 'yyyy-mm-dd';
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const bytes = await workbook(rows);
let written = 0;
const once = () =>
  runWorkflow({
    steps: SMALL_RUN_STEPS,
    input: { fileName: 'Sales.xlsx', size: bytes.length, open: async () => Readable.from([bytes]) },
    openArtifact: async () => new PassThrough().on('data', (c) => (written += c.length)),
  });

/** CPU ms per run (every thread) and GC pause ms per run over `n` runs. */
async function measure(n) {
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await new Promise((r) => setImmediate(r));
  gc.disconnect();
  return { cpu: (c.user + c.system) / 1000 / n, user: c.user / 1000 / n, system: c.system / 1000 / n, gc: gcMs / n, perSecond: n / (wall / 1000) };
}

const line = (label, m) =>
  `${label.padEnd(34)} ${m.cpu.toFixed(2).padStart(6)} CPU ms/run (user ${m.user.toFixed(2)}, system ${m.system.toFixed(2)}), GC pauses ${((100 * m.gc) / m.cpu).toFixed(0).padStart(2)}% of it, ${m.perSecond.toFixed(0)} runs/s`;

// The JIT needs a few hundred runs to optimise the engine: the first runs of a process cost more. The
// second line is what a script measuring 500 runs after 50 warm-up runs sees; the third, a warm worker.
const cold = await measure(50);
const warming = await measure(500);
written = 0;
const warm = await measure(runs);
console.log(`engine-small: ${rows} rows (${bytes.length} bytes in, ${Math.round(written / runs)} bytes out), filter + aggregate + xlsx output`);
console.log(line('runs 1-50 of the process', cold));
console.log(line('runs 51-550', warming));
console.log(line(`runs 551-${550 + runs} (warm)`, warm));
