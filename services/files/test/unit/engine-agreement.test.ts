import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, previewWorkflow } from '@rowline/engine';
import { CsvScanner } from '../../src/inspect/csv.js';
import { INSPECT_LIMITS } from '../../src/inspect/limits.js';
import { Rejection } from '../../src/inspect/rejection.js';
import { inspectZip } from '../../src/inspect/xlsx.js';
import { handMadeXlsx, SHEET_XML, WORKBOOK_XML } from '../support/fixtures.js';

// Inspection does not run the engine's readers (csv-parse is about 6x slower than the scan on the upload stream,
// and a full parse of every sheet would multiply the time an xlsx takes to inspect), so these tests hold them to
// the same verdict: what the engine cannot read, inspection refuses.

/** Whether the engine's reader refuses the file as corrupt, reading every row of `sheet` (a sort needs them all). */
async function engineRefuses(name: string, bytes: Buffer, sheet: string, column: string): Promise<boolean> {
  const steps = [{ type: 'sort', params: { sheet, by: [{ column }] } }];
  try {
    await previewWorkflow({ steps, input: { fileName: name, open: () => Readable.from([bytes]) }, limit: 10_000 });
    return false;
  } catch (err) {
    // Other refusals (a cut before the header leaves no column to sort by) are about the steps, not the file.
    if (err instanceof EngineError) return err.code === 'CORRUPT_FILE';
    throw err;
  }
}

function inspectionRefusesCsv(bytes: Buffer): boolean {
  const scanner = new CsvScanner();
  for (let i = 0; i < bytes.length; i += 2) scanner.push(bytes.subarray(i, i + 2));
  const scan = scanner.finish();
  return scan.text && !scan.empty && scan.unclosedQuote;
}

/** Every string of up to `length` tokens, each a character or a line ending. */
function* texts(tokens: string[], length: number, prefix = ''): Generator<string> {
  if (prefix) yield prefix;
  if (length === 0) return;
  for (const t of tokens) yield* texts(tokens, length - 1, prefix + t);
}

describe('csv inspection and the engine\'s reader', () => {
  it('agree on the review\'s file and on every short text of cells, delimiters, quotes and line ends', async () => {
    const samples = ['a,b\n1,2,3,4\n5\n"unterminated,6\n', ...texts(['a', ',', '"', '\n'], 6), ...texts(['a', ',', '"', '\r\n'], 5)];
    const disagreements: string[] = [];
    for (const text of samples) {
      const bytes = Buffer.from(`h,i\n${text}`);
      if (inspectionRefusesCsv(bytes) !== (await engineRefuses('s.csv', bytes, 's', 'h'))) disagreements.push(JSON.stringify(text));
    }
    expect(disagreements).toEqual([]);
    expect(inspectionRefusesCsv(Buffer.from(samples[0]!))).toBe(true);
  }, 120_000);
});

describe('xlsx inspection and the engine\'s reader', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'engine-agreement-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  const inspectionRefuses = async (bytes: Buffer) => {
    const path = join(dir, `${Math.random()}.xlsx`);
    await writeFile(path, bytes);
    return inspectZip(path, INSPECT_LIMITS.xlsx).then(() => false, (err: unknown) => {
      if (err instanceof Rejection) return true;
      throw err;
    });
  };

  it('refuse together a sheet cut anywhere within its rows', async () => {
    const rowsEnd = SHEET_XML.lastIndexOf('</row>');
    let engineRefused = 0;
    for (let end = SHEET_XML.indexOf('<row'); end < rowsEnd; end++) {
      const cut = await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': SHEET_XML.slice(0, end) });
      expect(await inspectionRefuses(cut), `cut at ${end}`).toBe(true);
      if (await engineRefuses('cut.xlsx', cut, 'Data', 'a')) engineRefused++;
    }
    // The engine fails a run on most of these cuts; on the others (between rows, or inside a row's start tag) it
    // reads the rows before the cut and drops the rest, which inspection refuses as well.
    expect(engineRefused).toBeGreaterThan(0);
    expect(await inspectionRefuses(await handMadeXlsx(WORKBOOK_XML))).toBe(false);
  }, 120_000);
});
