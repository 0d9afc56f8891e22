/**
 * npm run bench [-- ROWS] (from packages/engine, after `npx tsc -b packages/engine` at the repo root).
 *
 * Generates the sales workbook with ../shared/baselines/gen_sales.py once (cached in .cache/bench/), runs the
 * pandas + openpyxl baseline and the engine on the same file, checks both give the same group sums, and prints
 * rows/s, wall time, peak RSS, the ratio, and where the engine's time goes (read, steps, write), beside the
 * floor of reading (inflate + a byte scan for <row and <c).
 *
 *   --reuse-pandas   reuse the cached pandas figures for this file (the 1M-row baseline takes minutes)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const baselines = resolve(repo, '../shared/baselines');
const cache = join(repo, '.cache/bench');
const args = process.argv.slice(2);
const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const reusePandas = args.includes('--reuse-pandas');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
mkdirSync(cache, { recursive: true });

const input = join(cache, `sales-${rows}.xlsx`);
if (!existsSync(input)) {
  console.log(`generating ${input} with gen_sales.py ...`);
  execFileSync(python, [join(baselines, 'gen_sales.py'), String(rows), input + '.tmp.xlsx'], { stdio: 'inherit' });
  renameSync(input + '.tmp.xlsx', input);
}

/** Runs a command under /usr/bin/time -v; returns stdout, wall seconds and peak RSS in MB. */
function measured(cmd, cmdArgs) {
  const t0 = performance.now();
  const r = time ? spawnSync(time, ['-v', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 1 << 26 }) : spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  return { stdout: r.stdout, wall, rssMB: rss ? Number(rss[1]) / 1024 : NaN };
}

// pandas baseline
const pandasCache = join(cache, `pandas-${rows}.json`);
let pandas;
if (reusePandas && existsSync(pandasCache) && JSON.parse(readFileSync(pandasCache, 'utf8')).mtime === statSync(input).mtimeMs) {
  pandas = JSON.parse(readFileSync(pandasCache, 'utf8'));
  console.log(`pandas: reusing the run of ${pandas.at}`);
} else {
  console.log(`pandas: running pandas_workflow.py on ${rows} rows ...`);
  const out = join(cache, `pandas-out-${rows}.xlsx`);
  const m = measured(python, [join(baselines, 'pandas_workflow.py'), input, out]);
  const f = Object.fromEntries(m.stdout.trim().split(/\s+/).map((kv) => kv.split('=')));
  pandas = { at: new Date().toISOString(), mtime: statSync(input).mtimeMs, wall: m.wall, rssMB: m.rssMB, out, figures: f };
  writeFileSync(pandasCache, JSON.stringify(pandas));
}

// engine: each mode in its own process
const outDir = join(cache, 'engine-out');
mkdirSync(outDir, { recursive: true });
const engine = {};
for (const mode of ['floor', 'read', 'steps', 'full']) {
  console.log(`engine: ${mode} ...`);
  const m = measured(process.execPath, [join(here, 'engine-run.mjs'), mode, input, outDir]);
  engine[mode] = { ...JSON.parse(m.stdout.trim().split('\n').pop()), wall: m.wall, rssMB: m.rssMB };
}

// Same answers? Read both Summary sheets with the engine's reader (pandas' file is written by openpyxl).
const { openInput } = await import('../dist/io/open-input.js');
const { MemoryBudget } = await import('../dist/flow/budget.js');
const { RunControl } = await import('../dist/flow/control.js');
const { createReadStream } = await import('node:fs');
async function summary(path) {
  const wb = await openInput({ fileName: 'x.xlsx', open: () => createReadStream(path) }, new MemoryBudget());
  const rowsOf = [];
  let cols = [];
  await wb.readSheet('Summary', { begin: (c) => (cols = c), row: (r) => rowsOf.push(r), end() {} }, new RunControl(), {}, () => {});
  await wb.close();
  const i = (n) => cols.indexOf(n);
  return new Map(rowsOf.map((r) => [`${r[i('region')]}|${r[i('category')]}`, { amount: r[i('amount')], margin: r[i('margin')] }]));
}
const mine = await summary(join(outDir, 'full-report.xlsx'));
const theirs = await summary(pandas.out);
let worst = 0;
for (const [k, v] of theirs) {
  const m = mine.get(k);
  if (!m) throw new Error(`group ${k} missing from the engine's Summary`);
  worst = Math.max(worst, Math.abs(m.amount - v.amount) / Math.abs(v.amount), Math.abs(m.margin - v.margin) / Math.abs(v.margin));
}
const same = mine.size === theirs.size && worst < 1e-9 && Number(pandas.figures.rows_out) === engine.full.rowsOut;

const full = engine.full;
const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const line = (name, wall, rss, extra = '') => console.log(`| ${name.padEnd(36)} | ${fmt(rows / wall, 0).padStart(10)} | ${fmt(wall, 2).padStart(8)} | ${fmt(rss, 0).padStart(8)} | ${extra}`);
console.log(`\n${rows.toLocaleString('en-US')} rows (${fmt(statSync(input).size / 1048576)} MB xlsx), filter + compute + aggregate + sort -> xlsx; ${full.rowsOut.toLocaleString('en-US')} rows and ${full.groups} groups written`);
console.log(`| ${'run'.padEnd(36)} | ${'rows/s'.padStart(10)} | ${'wall s'.padStart(8)} | ${'RSS MB'.padStart(8)} |`);
console.log(`|${'-'.repeat(38)}|${'-'.repeat(12)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`);
line('pandas + openpyxl', pandas.wall, pandas.rssMB, `read ${pandas.figures.read_s}s, transform ${pandas.figures.transform_s}s, write ${pandas.figures.write_s}s`);
line('engine (end to end)', full.wall, full.rssMB, `ratio ${fmt(pandas.wall / full.wall)}x pandas`);
line('  engine read only', engine.read.wall, engine.read.rssMB);
line('  engine read + steps (Summary only)', engine.steps.wall, engine.steps.rssMB);
line('  floor: inflate + scan <row/<c', engine.floor.wall, engine.floor.rssMB);
const rd = engine.read.seconds;
const st = Math.max(0, engine.steps.seconds - engine.read.seconds);
const wr = Math.max(0, full.seconds - engine.steps.seconds);
console.log(`\nengine time split (in-process seconds): read ${fmt(rd, 2)}, steps ${fmt(st, 2)}, write ${fmt(wr, 2)}; total ${fmt(full.seconds, 2)}`);
console.log(`reader vs floor: ${fmt(rd, 2)} s vs ${fmt(engine.floor.seconds, 2)} s (${fmt(rd / engine.floor.seconds)}x the floor)`);
console.log(`same results as pandas: ${same ? 'yes' : 'NO'} (${theirs.size} groups, worst relative difference ${worst.toExponential(1)}, filtered rows ${pandas.figures.rows_out} vs ${full.rowsOut})`);
console.log(`bar: >= 10x pandas and < 512 MB: ${pandas.wall / full.wall >= 10 && full.rssMB < 512 ? 'met' : 'NOT met'}`);
if (!same) process.exitCode = 1;
