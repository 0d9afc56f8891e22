/**
 * npm run bench -- files [--skip-uploads] [--skip-inspection]
 *
 * 1. Upload throughput through the files service's PUT endpoint (signed link, streamed to local storage,
 *    hashed, csv-scanned, settled) for a 50 MiB and a 200 MiB csv, each on a fresh service process, with
 *    that process's peak RSS, which must stay flat as the file grows. Beside it, in the same run: the raw
 *    disk write of the same bytes (file to file) and a plain HTTP PUT to disk (no service), the floors.
 * 2. Inspection time of the 1,000,000-row baseline workbook (../shared/baselines/gen_sales.py, cached in
 *    .cache/bench/ and shared with the engine benchmark; needs python3-openpyxl) in the worker-thread
 *    sandbox with the default limits, beside the floor: inflating the sheet's XML and throwing it away.
 *
 * Postgres: DATABASE_URL (a role that may create databases) or the embedded server of @rowline/testing.
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const cache = join(repo, '.cache/bench');
const MiB = 1024 * 1024;
const args = process.argv.slice(2);
mkdirSync(cache, { recursive: true });

/** Starts a JSON-line child (files-server.mjs or the embedded Postgres host) and returns its first line. */
async function child(script, childArgs) {
  const proc = spawn(process.execPath, [script, ...childArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const next = () => new Promise((res, rej) => { lines.once('line', (l) => res(JSON.parse(l))); proc.once('exit', (c) => rej(new Error(`${script} exited ${c}`))); });
  const first = await next();
  return { first, ask: async (q) => { proc.stdin.write(`${q}\n`); return next(); }, stop: () => new Promise((res) => { proc.once('exit', res); proc.stdin.end(); }) };
}

async function database() {
  let admin = process.env.DATABASE_URL;
  let embedded;
  if (!admin) {
    embedded = await child(join(repo, 'packages/testing/scripts/postgres-server.mjs'), []);
    admin = embedded.first.adminUrl;
  }
  const name = `files_bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      await embedded?.stop();
    },
  };
}

/** A csv of about `bytes` bytes, written once. */
async function csvOf(bytes) {
  const path = join(cache, `upload-${bytes / MiB}MiB.csv`);
  if (existsSync(path) && statSync(path).size === bytes) return path;
  let written = 0;
  let i = 0;
  const rows = Readable.from((function* () {
    yield 'id,region,product,amount,day\n';
    written = 29;
    while (written < bytes) {
      const line = `${i},region-${i % 17},product-${(i * 7919) % 1000},${((i * 13) % 100000) / 100},2026-01-${String((i % 28) + 1).padStart(2, '0')}\n`;
      const cut = line.length > bytes - written ? line.slice(0, bytes - written - 1) + '\n' : line;
      written += cut.length;
      i++;
      yield cut;
    }
  })());
  await pipeline(rows, createWriteStream(`${path}.tmp`));
  renameSync(`${path}.tmp`, path);
  return path;
}

const mbps = (bytes, ms) => bytes / MiB / (ms / 1000);

async function rawDisk(path) {
  const out = join(tmpdir(), `files-bench-raw-${process.pid}`);
  const t0 = performance.now();
  await pipeline(createReadStream(path), createWriteStream(out));
  const ms = performance.now() - t0;
  rmSync(out, { force: true });
  return ms;
}

/** PUTs the file with node:http (fetch's web-stream bodies cap a local upload far below the disk's speed). */
async function put(url, path) {
  const t0 = performance.now();
  const { status, text } = await new Promise((resolvePut, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { 'content-length': String(statSync(path).size), 'content-type': 'text/csv' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolvePut({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
  const ms = performance.now() - t0;
  if (status !== 200) throw new Error(`PUT ${url} answered ${status}: ${text}`);
  return { ms, body: JSON.parse(text) };
}

async function throughOfService(dbUrl, path) {
  const server = await child(join(here, 'files-server.mjs'), ['--service', dbUrl]);
  try {
    const { base, token } = server.first;
    const size = statSync(path).size;
    const created = await fetch(`${base}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-rowline-internal-token': token },
      body: JSON.stringify({ query: 'mutation($s: SafeInt!) { createUpload(input: {name: "bench.csv", size: $s}) { uploadUrl } }', variables: { s: size } }),
    }).then((r) => r.json());
    if (!created.data) throw new Error(`createUpload failed: ${JSON.stringify(created.errors)}`);
    await server.ask('watch');
    const idle = await server.ask('rss');
    const { ms, body } = await put(created.data.createUpload.uploadUrl.replace('http://bench.invalid', base), path);
    const peak = await server.ask('rss');
    return { ms, status: body.file.status, idleMB: idle.peakMB, peakMB: peak.peakMB };
  } finally {
    await server.stop();
  }
}

async function throughOfRawHttp(path) {
  const server = await child(join(here, 'files-server.mjs'), ['--raw']);
  try {
    await server.ask('watch');
    const { ms } = await put(`${server.first.base}/body`, path);
    return { ms, peakMB: (await server.ask('rss')).peakMB };
  } finally {
    await server.stop();
  }
}

async function uploads() {
  const db = await database();
  try {
    console.log('\nUpload through PUT /files/upload/:token (local storage; each size on a fresh service process)');
    console.log('size      service MB/s  RSS during upload: peak (before) | plain HTTP PUT to disk MB/s  peak RSS | raw disk write MB/s | service / raw disk');
    for (const size of [50 * MiB, 200 * MiB]) {
      const path = await csvOf(size);
      await rawDisk(path); // warm the page cache for every contender alike
      const disk = await rawDisk(path);
      const http = await throughOfRawHttp(path);
      const svc = await throughOfService(db.url, path);
      if (svc.status !== 'READY') throw new Error(`the upload ended ${svc.status}`);
      console.log(
        `${String(size / MiB).padStart(3)} MiB   ${mbps(size, svc.ms).toFixed(1).padStart(8)}      ${svc.peakMB.toFixed(0).padStart(4)} MB (${svc.idleMB.toFixed(0)} MB)               | ` +
        `${mbps(size, http.ms).toFixed(1).padStart(12)}               ${http.peakMB.toFixed(0).padStart(4)} MB | ${mbps(size, disk).toFixed(1).padStart(12)}        | ${(disk / svc.ms).toFixed(2)}x`,
      );
    }
  } finally {
    await db.drop();
  }
}

async function inspection() {
  const rows = 1_000_000;
  const input = join(cache, `sales-${rows}.xlsx`);
  if (!existsSync(input)) {
    console.log(`\ngenerating ${input} with gen_sales.py (python3-openpyxl; takes minutes) ...`);
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    execFileSync(python, [resolve(repo, '../shared/baselines/gen_sales.py'), String(rows), `${input}.tmp.xlsx`], { stdio: 'inherit' });
    renameSync(`${input}.tmp.xlsx`, input);
  }
  const { createZipSandbox, INSPECT_LIMITS } = await import('../dist/inspect/index.js');
  const yauzl = (await import('yauzl')).default;
  const sandbox = createZipSandbox(INSPECT_LIMITS.sandbox);

  const t0 = performance.now();
  const verdict = await sandbox.inspect(input, INSPECT_LIMITS.xlsx);
  const inspectMs = performance.now() - t0;

  const t1 = performance.now();
  const zip = await yauzl.openPromise(input, { lazyEntries: true, autoClose: false });
  let inflated = 0;
  for await (const entry of zip.eachEntry()) {
    if (!/^xl\/worksheets\/sheet\d+\.xml$/.test(entry.fileName)) continue;
    for await (const chunk of await zip.openReadStreamPromise(entry)) inflated += chunk.length;
  }
  zip.close();
  const floorMs = performance.now() - t1;

  const sheets = verdict.kind === 'xlsx' ? verdict.sheets.map((s) => `${s.name}: ${s.rowCount ?? 'uncounted'} rows, ${s.columns.length} columns`).join('; ') : verdict.kind;
  console.log(`\nInspection of the ${rows.toLocaleString('en-US')}-row baseline workbook (${(statSync(input).size / MiB).toFixed(1)} MiB, sheet XML ${(inflated / MiB).toFixed(0)} MiB)`);
  console.log(`  sandboxed inspection (worker thread, default limits): ${(inspectMs / 1000).toFixed(2)} s  -> ${sheets}`);
  console.log(`  floor (inflate the sheet XML, discard it):            ${(floorMs / 1000).toFixed(2)} s  -> inspection / floor = ${(inspectMs / floorMs).toFixed(2)}x`);
  await bombs(sandbox, INSPECT_LIMITS);
}

/** A workbook whose sheet1.xml inflates to `bytes` of rows; `lie` makes the zip directory claim 2:1 instead. */
async function bombFile(bytes, lie) {
  const { default: yazl } = await import('yazl');
  const row = '<row><c><v>0</v></c></row>';
  // Built as bytes: a string this long is past V8's limit.
  const sheet = Buffer.concat([
    Buffer.from('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'),
    Buffer.alloc(Math.floor(bytes / row.length) * row.length, row),
    Buffer.from('</sheetData></worksheet>'),
  ]);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('<workbook xmlns:r="r"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'), 'xl/workbook.xml');
  zip.addBuffer(Buffer.from('<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>'), 'xl/_rels/workbook.xml.rels');
  zip.addBuffer(sheet, 'xl/worksheets/sheet1.xml');
  zip.end();
  const chunks = [];
  for await (const c of zip.outputStream) chunks.push(c);
  const out = Buffer.concat(chunks);
  if (lie) {
    // Patch the central directory's uncompressed size of sheet1.xml to twice its compressed size.
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    for (let at = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at > 0; at = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at - 1)) {
      if (out.subarray(at + 46, at + 46 + name.length).equals(name)) out.writeUInt32LE(out.readUInt32LE(at + 20) * 2, at + 24);
    }
  }
  const path = join(tmpdir(), `files-bench-bomb-${lie ? 'lying' : 'honest'}-${process.pid}.xlsx`);
  await pipeline(Readable.from([out]), createWriteStream(path));
  return { path, size: out.length };
}

async function bombs(sandbox, limits) {
  console.log('\nZip bombs (a sheet1.xml of 512 MiB of rows), in the same sandbox:');
  for (const lie of [false, true]) {
    const { path, size } = await bombFile(512 * MiB, lie);
    const t0 = performance.now();
    const outcome = await sandbox.inspect(path, limits.xlsx).then(() => 'ACCEPTED (defect)', (err) => `refused: ${err.reason ?? err.message}`);
    console.log(`  ${lie ? 'directory claims 2:1' : 'honest directory    '} (${(size / 1024).toFixed(0)} KiB file): ${(performance.now() - t0).toFixed(0)} ms, ${outcome}`);
    rmSync(path, { force: true });
  }
}

execFileSync('npx', ['tsc', '-b', 'services/files'], { cwd: repo, stdio: 'inherit' });
if (!args.includes('--skip-uploads')) await uploads();
if (!args.includes('--skip-inspection')) await inspection();
