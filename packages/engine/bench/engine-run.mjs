/**
 * One measured engine run, in a process of its own so its peak RSS is its own:
 *   node engine-run.mjs MODE IN.xlsx OUT_DIR
 * MODE: full (the workflow, writing Filtered and Summary), steps (the workflow writing only Summary: read +
 * steps), read (the engine's reader alone), floor (inflate the sheet and count <row and <c: the bound any
 * reader pays). Prints one JSON line.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { MemoryBudget } from '../dist/flow/budget.js';
import { RunControl } from '../dist/flow/control.js';
import { openInput } from '../dist/io/open-input.js';
import { readXlsxMeta } from '../dist/io/xlsx-meta.js';
import { ZipInput } from '../dist/io/zip-input.js';
import { runWorkflow } from '../dist/index.js';
import { benchSteps } from './workflow.mjs';

const [mode, file, outDir] = process.argv.slice(2);
const t0 = performance.now();
const out = { mode };

if (mode === 'full' || mode === 'steps') {
  const r = await runWorkflow({
    steps: benchSteps({ writeFiltered: mode === 'full' }),
    input: { fileName: 'sales.xlsx', open: () => createReadStream(file) },
    openArtifact: async (name) => createWriteStream(`${outDir}/${mode}-${name}`),
  });
  out.rowsIn = r.steps[0].rowsIn;
  out.rowsOut = r.steps[0].rowsOut;
  out.groups = r.steps[2].rowsOut;
} else if (mode === 'read') {
  const wb = await openInput({ fileName: 'sales.xlsx', open: () => createReadStream(file) }, new MemoryBudget());
  let rows = 0;
  await wb.readSheet(wb.sheetNames[0], { begin() {}, row() { rows++; }, end() {} }, new RunControl(), {}, () => {});
  await wb.close();
  out.rowsIn = rows;
} else if (mode === 'floor') {
  const zip = await ZipInput.open(file);
  const meta = await readXlsxMeta(zip);
  let rows = 0;
  let cells = 0;
  const stream = await zip.open(meta.sheets[0].part);
  for await (const chunk of stream) {
    // '<' then 'r' 'o' 'w' or 'c' ' ': the scan every reader has to make at least.
    for (let i = chunk.indexOf(60); i >= 0; i = chunk.indexOf(60, i + 1)) {
      const a = chunk[i + 1];
      if (a === 114 && chunk[i + 2] === 111) rows++;
      else if (a === 99 && chunk[i + 2] === 32) cells++;
    }
  }
  zip.close();
  // Approximate: a tag cut by a chunk boundary is not counted; this measures time, not rows.
  out.rowTags = rows;
  out.cellTags = cells;
}
out.seconds = (performance.now() - t0) / 1000;
out.maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
