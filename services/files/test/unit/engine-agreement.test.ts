import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, previewWorkflow } from '@rowline/engine';
import { csvCellType } from '../../src/inspect/column-types.js';
import { CsvScanner } from '../../src/inspect/csv.js';
import { INSPECT_LIMITS } from '../../src/inspect/limits.js';
import { Rejection } from '../../src/inspect/rejection.js';
import { inspectZip } from '../../src/inspect/xlsx.js';
import { handMadeXlsx, SHEET_XML, WORKBOOK_XML } from '../support/fixtures.js';

// Inspection does not run the engine's readers (csv-parse is about 6x slower than the scan on the upload stream,
// and a full parse of every sheet would multiply the time an xlsx takes to inspect), so these tests hold them to
// the same verdict: what the engine cannot read, inspection refuses.

/**
 * What the engine's reader makes of the file: 'corrupt' when it refuses it as such, else how many data rows of
 * `sheet` it reads (a sort needs them all).
 */
async function engineReads(name: string, bytes: Buffer, sheet: string, column: string): Promise<number | 'corrupt' | 'other'> {
  const steps = [{ type: 'sort', params: { sheet, by: [{ column }] } }];
  try {
    const preview = await previewWorkflow({ steps, input: { fileName: name, open: () => Readable.from([bytes]) }, limit: 10_000 });
    return preview.steps[0]!.rowsIn;
  } catch (err) {
    // Other refusals (a cut before the header leaves no column to sort by) are about the steps, not the file.
    if (err instanceof EngineError) return err.code === 'CORRUPT_FILE' ? 'corrupt' : 'other';
    throw err;
  }
}
const engineRefuses = async (name: string, bytes: Buffer, sheet: string, column: string) => (await engineReads(name, bytes, sheet, column)) === 'corrupt';

/** What inspection makes of a csv fed in 2-byte chunks: 'corrupt' when it refuses it, else its row count. */
function inspectionReadsCsv(bytes: Buffer): number | 'corrupt' {
  const scanner = new CsvScanner();
  for (let i = 0; i < bytes.length; i += 2) scanner.push(bytes.subarray(i, i + 2));
  const scan = scanner.finish();
  if (!scan.text) throw new Error('not text');
  return !scan.empty && scan.unclosedQuote ? 'corrupt' : scan.rowCount;
}

/** Every string of up to `length` tokens, each a character or a line ending. */
function* texts(tokens: string[], length: number, prefix = ''): Generator<string> {
  if (prefix) yield prefix;
  if (length === 0) return;
  for (const t of tokens) yield* texts(tokens, length - 1, prefix + t);
}

describe('csv inspection and the engine\'s reader', () => {
  it('agree on refusals and row counts, on the review\'s file and on every short text of cells, delimiters, quotes and line ends', async () => {
    const samples = [
      'a,b\n1,2,3,4\n5\n"unterminated,6\n', ',,\n"",""\n1,2\n, \n',
      ...texts(['a', ',', '"', '\n'], 6), ...texts(['a', ',', '"', '\r\n', '\r'], 5), ...texts(['a', '"', '\n', '\r'], 5),
    ];
    const disagreements: string[] = [];
    for (const text of samples) {
      const bytes = Buffer.from(`h,i\n${text}`);
      const [inspection, engine] = [inspectionReadsCsv(bytes), await engineReads('s.csv', bytes, 's', 'h')];
      if (inspection !== engine) disagreements.push(`${JSON.stringify(text)}: inspection ${inspection}, engine ${engine}`);
    }
    expect(disagreements).toEqual([]);
    expect(inspectionReadsCsv(Buffer.from(samples[0]!))).toBe('corrupt');
    // Blank lines, lines of delimiters and of empty quoted fields are not rows; a line of a space is.
    expect(inspectionReadsCsv(Buffer.from(`h,i\n${samples[1]}`))).toBe(2);
  }, 240_000);
});

/** What the engine reads a csv as: its column names and, per row, the type of each cell as inspection names types. */
async function engineSees(name: string, bytes: Buffer, first: string): Promise<{ columns: string[]; types: string[][] }> {
  // Sorted by the first column, which numbers the rows.
  const steps = [{ type: 'sort', params: { by: [{ column: first }] } }];
  const preview = await previewWorkflow({ steps, input: { fileName: name, open: () => Readable.from([bytes]) }, limit: 10_000 });
  const sheet = Object.values(preview.steps[0]!.sheets)[0]!;
  const typeOf = (v: unknown) => (v === null ? 'EMPTY' : typeof v === 'number' ? 'NUMBER' : typeof v === 'boolean' ? 'BOOLEAN' : v instanceof Date ? 'DATE' : 'TEXT');
  return { columns: sheet.columns, types: sheet.rows.map((r) => r.map(typeOf)) };
}

const quoted = (cell: string) => `"${cell.replace(/"/g, '""')}"`;

describe('csv inspection and the engine agree on names and types', () => {
  it('name the columns of a padded header alike, so a step built from an inspected name finds its column', async () => {
    const bytes = Buffer.from('id, amount ,\tday,"  note\t "\n1,2,2024-01-05,x\n');
    const scan = new CsvScanner();
    scan.push(bytes);
    const inspected = scan.finish();
    if (!inspected.text) throw new Error('not text');
    const names = inspected.columns.map((c) => c.name);
    expect(names).toEqual(['id', 'amount', 'day', 'note']);
    expect((await engineSees('s.csv', bytes, 'id')).columns).toEqual(names);
  });

  it('name blank and repeated header cells alike: Column<n>, then _2, _3', async () => {
    const bytes = Buffer.from('id,,amount, amount,amount,\n1,2,3,4,5,6\n');
    const scan = new CsvScanner();
    scan.push(bytes);
    const inspected = scan.finish();
    if (!inspected.text) throw new Error('not text');
    const names = inspected.columns.map((c) => c.name);
    expect(names).toEqual(['id', 'Column2', 'amount', 'amount_2', 'amount_3', 'Column6']);
    expect((await engineSees('s.csv', bytes, 'id')).columns).toEqual(names);
  });

  it('type every cell alike: numbers in the engine\'s syntax only, long ids, padded values, dates and booleans', async () => {
    const cells = [
      '1', '1.', '0.', '5.e1', '1e400', '-1e400', '1e-400', '.5', '-.5', '+.5', '1e5', '1E-5', '0', '-0', '+0', '00', '01', '0.5', '00.5', '-01',
      '+', '-', '.', 'e5', '1e', '1.2.3', '1,5', 'Infinity', 'NaN', '0x10', '1_000', '١', '１',
      '4111111111111111', '1234567890123456789', '-1234567890123456789', '+1234567890123456789', '01234567890123456789', '123456789012345',
      '0.30000000000000004', '-0.30000000000000004', '12345678901234567.5',
      ' 1 ', '\t1', '1 ', ' ', '\t', '  x ', ' 1.', ' 1e400', '\u00a01', '1\n', '\n1',
      '2024-01-05', '2024-02-30', '2024-02-29', '2023-02-29', '1899-12-30', '2024-01-05 10:30', '2024-01-05T10:30:00Z', '2024-01-05T10:30:00.123456Z',
      '2024-01-05 10:60', '2024-01-05 10:59:60', '2024-01-05 24:00', '2024-01-05 23:59:60', '2024-01-05 09:30:00Z', '2024-01-05Z', '2024-1-5', ' 2024-01-05 ', '2024-13-01',
      'true', 'FALSE', ' True ', 'tRuE', 'yes', 'tru', 'null', '',
    ];
    const text = 'i,cell\n' + cells.map((c, i) => `${i},${quoted(c)}`).join('\n') + '\n';
    const engine = await engineSees('cells.csv', Buffer.from(text), 'i');
    const disagreements = cells.flatMap((cell, i) => {
      const inspected = csvCellType(cell);
      const read = engine.types[i]?.[1];
      return inspected === read ? [] : [`${JSON.stringify(cell)}: inspection ${inspected}, engine ${read}`];
    });
    expect(disagreements).toEqual([]);
    expect(engine.types.length).toBe(cells.length);
  });
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

  it('name the sheets alike, those the steps of a run must name (references decoded; "_x...._" kept as written)', async () => {
    // A name as a generator writes it: escaped for XML, and nothing else (an ST_Xstring escape is the name's text).
    for (const name of ['P&L', 'cafe_xbeef_', 'Q1_x0031_ & Q2']) {
      const attr = name.replace(/&/g, '&amp;');
      const bytes = await handMadeXlsx(WORKBOOK_XML.replace('name="Data"', `name="${attr}"`));
      const path = join(dir, 'sheet-name.xlsx');
      await writeFile(path, bytes);
      const verdict = await inspectZip(path, INSPECT_LIMITS.xlsx);
      const inspected = verdict.kind === 'xlsx' ? verdict.sheets.map((s) => s.name) : null;
      // The name the engine reads the sheet by: a step naming it finds it, and rows come out.
      expect(await engineReads('sheet-name.xlsx', bytes, name, 'a'), name).toBe(1);
      expect(inspected, name).toEqual([name]);
    }
  });

  it('name blank and repeated header cells alike', async () => {
    const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
      '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="C1" t="inlineStr"><is><t>x</t></is></c><c r="D1" t="inlineStr"><is><t>x</t></is></c></row>' +
      '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c><c r="C2"><v>3</v></c><c r="D2"><v>4</v></c></row></sheetData></worksheet>';
    const path = join(dir, 'names.xlsx');
    const bytes = await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': sheet });
    await writeFile(path, bytes);
    const verdict = await inspectZip(path, INSPECT_LIMITS.xlsx);
    const inspected = verdict.kind === 'xlsx' ? verdict.sheets[0]!.columns.map((c) => c.name) : null;
    expect(inspected).toEqual(['id', 'Column2', 'x', 'x_2']);
    expect((await engineSees('names.xlsx', bytes, 'id')).columns).toEqual(inspected);
  });

  it('name the columns of a padded header alike', async () => {
    const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
      '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t xml:space="preserve"> amount </t></is></c>' +
      '<c r="C1" t="inlineStr"><is><t xml:space="preserve">\tday</t></is></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row></sheetData></worksheet>';
    const path = join(dir, 'padded.xlsx');
    const bytes = await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': sheet });
    await writeFile(path, bytes);
    const verdict = await inspectZip(path, INSPECT_LIMITS.xlsx);
    const inspected = verdict.kind === 'xlsx' ? verdict.sheets[0]!.columns.map((c) => c.name) : null;
    expect(inspected).toEqual(['id', 'amount', 'day']);
    expect((await engineSees('padded.xlsx', bytes, 'id')).columns).toEqual(inspected);
  });

  /**
   * A workbook of one data row, a column per cell (`c0`, `c1`, ...), with the styles part both readers find
   * through the workbook's relationships: so inspection's column type is that cell's type.
   */
  async function oneCellPerColumn(cells: string[], opts: { date1904?: boolean; stylesRelationship?: boolean; firstStyleDate?: boolean } = {}) {
    const ref = (i: number) => `${i >= 26 ? String.fromCharCode(64 + Math.floor(i / 26)) : ''}${String.fromCharCode(65 + (i % 26))}`;
    const header = cells.map((_, i) => `<c r="${ref(i)}1" t="inlineStr"><is><t>c${i}</t></is></c>`).join('');
    const row = cells.map((cell, i) => cell.replace('<c ', `<c r="${ref(i)}2" `)).join('');
    const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
      `<row r="1">${header}</row><row r="2">${row}</row></sheetData></worksheet>`;
    // Styles: 1 a date (14), 2 a time of day (20, h:mm), 3 an elapsed time (46, [h]:mm:ss), 4 yyyy-mm-dd, 5 a number
    // whose fill character is an s (`*s`), 6 one padded to an s's width (`_s`): no date in either.
    const styles = `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
      '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="0.00*s"/><numFmt numFmtId="166" formatCode="0_s"/></numFmts>' +
      `<cellXfs count="7"><xf numFmtId="${opts.firstStyleDate ? 14 : 0}"/><xf numFmtId="14"/><xf numFmtId="20"/><xf numFmtId="46"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs></styleSheet>`;
    const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
      `${opts.stylesRelationship === false ? '' : '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'}</Relationships>`;
    const workbook = opts.date1904 ? WORKBOOK_XML.replace('<sheets>', '<workbookPr date1904="1"/><sheets>') : WORKBOOK_XML;
    const bytes = await handMadeXlsx(workbook, { 'xl/worksheets/sheet1.xml': sheet, 'xl/styles.xml': styles, 'xl/_rels/workbook.xml.rels': rels });
    const path = join(dir, `${Math.random()}.xlsx`);
    await writeFile(path, bytes);
    const verdict = await inspectZip(path, INSPECT_LIMITS.xlsx);
    const inspected = verdict.kind === 'xlsx' ? verdict.sheets[0]!.columns.map((c) => c.type) : [];
    const engine = (await engineSees('cells.xlsx', bytes, 'c0')).types[0]!;
    return { inspected, engine };
  }

  it('type dates alike: a serial past the years 0-9999, a negative time and an ISO date that names no day are no dates', async () => {
    const cells = [
      '<c><v>0</v></c>',
      '<c s="1"><v>45000</v></c>', '<c s="1"><v>2958465</v></c>', '<c s="1"><v>2958466</v></c>', '<c s="1"><v>-1</v></c>', '<c s="1"><v>-700000</v></c>',
      '<c s="2"><v>0.5</v></c>', '<c s="2"><v>-0.5</v></c>', '<c s="2"><v>1.5</v></c>', '<c s="3"><v>1.25</v></c>', '<c s="3"><v>-0.25</v></c>',
      '<c s="4"><v>45000.5</v></c>', '<c s="4"><v>3000000</v></c>', '<c s="5"><v>45000</v></c>', '<c s="6"><v>45000</v></c>', '<c s="0"><v>45000</v></c>',
      '<c t="d"><v>2024-02-29</v></c>', '<c t="d"><v>2024-02-31</v></c>', '<c t="d"><v>2023-02-29</v></c>', '<c t="d"><v>2024-01-05T10:30:00</v></c>',
      '<c t="d"><v>2024-01-05T24:00:00</v></c>', '<c t="d"><v>2024-01-05T10:30:00+02:00</v></c>', '<c t="d"><v>2024-02-03+02:00</v></c>', '<c t="d"><v>next week</v></c>',
    ];
    const { inspected, engine } = await oneCellPerColumn(cells);
    expect(engine).toHaveLength(cells.length);
    expect(inspected).toEqual(engine);
    // What the two agree on, spelt out: the columns a user sees typed.
    expect(inspected).toEqual([
      'NUMBER',
      'DATE', 'DATE', 'NUMBER', 'DATE', 'NUMBER',
      'DATE', 'NUMBER', 'DATE', 'DATE', 'NUMBER',
      'DATE', 'NUMBER', 'NUMBER', 'NUMBER', 'NUMBER',
      'DATE', 'TEXT', 'TEXT', 'DATE',
      'TEXT', 'DATE', 'TEXT', 'TEXT',
    ]);
  });

  it('type dates alike in a workbook whose dates count from 1904, where they end four years sooner in serials', async () => {
    const { inspected, engine } = await oneCellPerColumn(['<c s="1"><v>2957003</v></c>', '<c s="1"><v>2957004</v></c>', '<c s="1"><v>2958465</v></c>'], { date1904: true });
    expect(inspected).toEqual(engine);
    expect(inspected).toEqual(['DATE', 'NUMBER', 'NUMBER']);
  });

  it('type dates alike where the first style shows dates: a cell without s has no style, one with s="0" has that one', async () => {
    const { inspected, engine } = await oneCellPerColumn(['<c><v>45000</v></c>', '<c s="0"><v>45000</v></c>'], { firstStyleDate: true });
    expect(inspected).toEqual(engine);
    expect(inspected).toEqual(['NUMBER', 'DATE']);
  });

  it('type dates alike in a workbook whose styles part no relationship names: neither reads it, so no number is a date', async () => {
    const { inspected, engine } = await oneCellPerColumn(['<c s="1"><v>45000</v></c>', '<c s="4"><v>45000.5</v></c>'], { stylesRelationship: false });
    expect(inspected).toEqual(engine);
    expect(inspected).toEqual(['NUMBER', 'NUMBER']);
  });

  it('agree on row counts: a row with only formatting, or only empty values, is no row', async () => {
    const rows = [
      '<row r="1" ht="30" customHeight="1"/>', '<row r="2" s="4" customFormat="1"><c r="A2" s="4"/></row>',
      '<row r="3"><c r="A3" t="inlineStr"><is><t>a</t></is></c><c r="B3" t="inlineStr"><is><t>b</t></is></c></row>',
      '<row r="4"><c r="A4"><v>1</v></c></row>', '<row r="5" ht="30" customHeight="1"/>',
      '<row r="6"><c r="A6" s="1"/><c r="B6" s="1"/></row>', '<row r="7"><c r="A7" t="str"><v></v></c></row>',
      '<row r="8"><c r="A8" t="inlineStr"><is><t/></is></c></row>', '<row r="9"><c r="A9" s="1"/><c r="B9"><v>9</v></c></row>',
      '<row r="10"><c r="A10" t="inlineStr"><is><r><t>rich</t></r></is></c></row>', '<row r="11"></row>',
      '<row r="12"><c r="B12" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>', '<row r="13" s="2" customFormat="1"/>',
    ];
    const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`;
    const path = join(dir, 'formatted.xlsx');
    const bytes = await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': sheet });
    await writeFile(path, bytes);
    const verdict = await inspectZip(path, INSPECT_LIMITS.xlsx);
    const inspected = verdict.kind === 'xlsx' ? verdict.sheets[0]!.rowCount : null;
    expect({ inspected, engine: await engineReads('formatted.xlsx', bytes, 'Data', 'a') }).toEqual({ inspected: 4, engine: 4 });
  }, 60_000);
});
