/**
 * npm run bench -- engine-csv [ROWS] [--rounds N] [--dist DIR ...]: the engine's csv reader alone (csv-parse,
 * value inference, the header and row shaping) on a ROWS x 10 csv (default 1,000,000 rows, written once into
 * .cache/bench/), each read in a process of its own. Rounds interleave the builds given with --dist (default:
 * this package's dist), so a slow spell of a shared machine falls on all of them; the median round counts.
 * Prints rows/s, MB/s, the process's CPU time (steadier than wall time on a busy machine) and peak RSS per
 * build. Compare two builds by copying one's dist aside first.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const args = process.argv.slice(2);
const option = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));

if (args[0] === '--child') {
  // One read: node csv-read.mjs --child DIST FILE; prints {ms, rows, rssMB}.
  const [dist, file] = args.slice(1);
  const { openInput } = await import(pathToFileURL(join(dist, 'io/open-input.js')).href);
  const { MemoryBudget } = await import(pathToFileURL(join(dist, 'flow/budget.js')).href);
  const { RunControl } = await import(pathToFileURL(join(dist, 'flow/control.js')).href);
  const t0 = performance.now();
  const wb = await openInput({ fileName: 'sales.csv', size: statSync(file).size, open: () => createReadStream(file) }, new MemoryBudget());
  let rows = 0;
  await wb.readSheet(wb.sheetNames[0], { begin() {}, row() { rows++; }, end() {} }, new RunControl(), {}, () => {});
  await wb.close();
  const { user, system } = process.cpuUsage();
  console.log(JSON.stringify({ ms: performance.now() - t0, cpuMs: (user + system) / 1000, rows, rssMB: process.resourceUsage().maxRSS / 1024 }));
} else {
  await main();
}

async function main() {

const rows = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 1_000_000);
const rounds = Number(option('rounds')[0] ?? 5);
const dists = option('dist').length ? option('dist').map((d) => resolve(d)) : [resolve(here, '../dist')];
const cache = join(repo, '.cache/bench');
mkdirSync(cache, { recursive: true });
const file = join(cache, `sales-${rows}.csv`);

if (!existsSync(file)) {
  // Sales-like rows: ids, ISO dates, text (some quoted, with the delimiter inside), integers and decimals.
  console.log(`writing ${file} ...`);
  const out = createWriteStream(`${file}.tmp`);
  const regions = ['North', 'South', 'East', 'West', '"Central, Old"'];
  out.write('id,date,region,category,product,qty,price,amount,status,note\n');
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i++) {
    const qty = 1 + Math.floor(rand() * 20);
    const price = (rand() * 500).toFixed(2);
    const line = `${100000 + i},2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')},${regions[i % 5]},cat${i % 20},product ${i % 997},${qty},${price},${(qty * price).toFixed(2)},${i % 17 ? 'paid' : 'void'},\n`;
    if (!out.write(line)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  renameSync(`${file}.tmp`, file);
}
const mb = statSync(file).size / 1048576;

const results = new Map(dists.map((d) => [d, []]));
for (let round = 0; round < rounds; round++) {
  for (const dist of dists) {
    const r = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist, file], { encoding: 'utf8', timeout: 120_000 }));
    if (r.rows !== rows) throw new Error(`${dist}: read ${r.rows} rows of ${rows}`);
    results.get(dist).push(r);
  }
}
console.log(`\nengine csv read: ${rows} rows x 10 columns (${mb.toFixed(0)} MB), ${rounds} rounds interleaved, median round`);
for (const [dist, rs] of results) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = { ms: median(rs.map((r) => r.ms)) };
  const cpu = median(rs.map((r) => r.cpuMs));
  console.log(`  ${dist}: ${(rows / (m.ms / 1000) / 1000).toFixed(0)}k rows/s, ${(mb / (m.ms / 1000)).toFixed(1)} MB/s, median ${(m.ms / 1000).toFixed(2)} s `
    + `(rounds ${rs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s), CPU median ${(cpu / 1000).toFixed(2)} s `
    + `(${rs.map((r) => (r.cpuMs / 1000).toFixed(2)).join(', ')}), peak RSS ${Math.max(...rs.map((r) => r.rssMB)).toFixed(0)} MB`);
}
}
