import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inferCsvValue } from '../src/io/csv-workbook.js';
import type { OpenInputOptions } from '../src/io/open-input.js';
import { bytesInput, readSheets, run } from './helpers.js';
import { buildXlsx, sheetXml } from './xlsx-builder.js';

const STYLES = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/><numFmt numFmtId="165" formatCode="&quot;Day&quot; 0.00"/></numFmts>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs></styleSheet>`;

const SST = `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">
<si><t>name</t></si><si><t xml:space="preserve"> A &amp; B &lt;ok&gt; </t></si>
<si><r><rPr><b/></rPr><t>rich </t></r><r><t>text</t></r><rPh><t>ふりがな</t></rPh></si><si><t/></si><si><t>東京 &#x1F680; &#233;</t></si></sst>`;

// Small files are read from memory, larger ones from a temporary file: every case runs on both paths.
describe.each([
  ['held in memory', {}],
  ['spooled to a file', { inMemoryBytes: 0 }],
])('xlsx reader, the file %s', (_, options: OpenInputOptions) => {
  const readXlsx = (name: string, bytes: Buffer) => readSheets(name, bytes, options);

  it('reads shared, rich and inline strings, numbers, booleans, errors, formulas, dates and skipped cells', async () => {
    const rows =
      '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>n</t></is></c><c r="C1" t="inlineStr"><is><t>when</t></is></c><c r="D1" t="inlineStr"><is><t>other</t></is></c></row>' +
      '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>1.5E3</v></c><c r="C2" s="1"><v>45292</v></c><c r="D2" t="b"><v>1</v></c></row>' +
      '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="C3" s="2"><v>45292.75</v></c><c r="D3" t="e"><v>#N/A</v></c></row>' +
      '<row r="5"><c r="A5" t="s"><v>4</v></c><c r="B5" s="3"><v>7</v></c><c r="C5" t="str"><f>A1&amp;"x"</f><v>namex</v></c><c r="D5" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c></row>' +
      '<row r="6"><c r="B6"><f>1+1</f></c><c r="D6" t="d"><v>2024-02-03T04:05:06Z</v></c></row>' +
      '<row r="7"/><row r="9"><c r="A9" s="0"/></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'Data', xml: sheetXml(rows) }], sharedStrings: SST, styles: STYLES });
    const s = (await readXlsx('t.xlsx', xlsx))['Data']!;
    expect(s.columns).toEqual(['name', 'n', 'when', 'other']);
    expect(s.rows).toEqual([
      [' A & B <ok> ', 1500, new Date('2024-01-01T00:00:00Z'), true],
      ['rich text', null, new Date('2024-01-01T18:00:00Z'), '#N/A'],
      ['東京 🚀 é', 7, 'namex', 'inline'],
      [null, null, null, new Date('2024-02-03T04:05:06Z')],
    ]);
  });

  it('reads cells without references, namespace prefixes and the 1904 date system', async () => {
    const rows = '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>d</x:t></x:is></x:c></x:row><x:row><x:c><x:v>1</x:v></x:c><x:c s="1"><x:v>0</x:v></x:c></x:row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'P', xml: sheetXml(rows, 'x') }], styles: STYLES, workbookPr: '<workbookPr date1904="1"/>' });
    expect((await readXlsx('t.xlsx', xlsx))['P']).toEqual({ columns: ['a', 'd'], rows: [[1, new Date('1904-01-01T00:00:00Z')]] });
  });

  it('keeps the number of a date-styled cell past the years 0 to 9999, which is no date (Excel shows ####)', async () => {
    const rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row><row r="2"><c r="A2" s="1"><v>2958465</v></c></row><row r="3"><c r="A3" s="1"><v>2958466</v></c></row><row r="4"><c r="A4" s="2"><v>1E+300</v></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }], styles: STYLES });
    expect((await readXlsx('t.xlsx', xlsx))['S']!.rows).toEqual([[new Date('9999-12-31T00:00:00Z')], [2958466], [1e300]]);
  });

  it('drops rows that hold no value inside the data too: missing, self-closed, styled or empty-string ones', async () => {
    const rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>' +
      '<row r="4"><c r="A4"><v>2</v></c></row><row r="5"/><row r="6"><c r="A6" s="1"/></row><row r="7"><c r="A7" t="inlineStr"><is><t></t></is></c></row>' +
      '<row r="8"><c r="A8"><f>1+1</f></c></row><row r="9"><c r="A9"><v>3</v></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }], styles: STYLES });
    expect((await readXlsx('t.xlsx', xlsx))['S']).toEqual({ columns: ['n'], rows: [[1], [2], [3]] });
  });

  it('names blank and repeated headers and drops trailing empty rows', async () => {
    const rows = '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="C2" t="inlineStr"><is><t>x</t></is></c></row><row r="3"><c r="A3"><v>1</v></c></row><row r="4"><c r="B4" t="inlineStr"><is><t></t></is></c></row><row r="10"/>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    expect((await readXlsx('t.xlsx', xlsx))['S']).toEqual({ columns: ['x', 'Column2', 'x_2'], rows: [[1, null, null]] });
  });

  it('refuses a document type declaration (entity bombs) with a clear error', async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: bomb }] });
    await expect(readXlsx('t.xlsx', xlsx)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
  });

  it('refuses a part whose compression ratio marks a zip bomb', async () => {
    const rows = '<row r="1"><c r="A1"><v>1</v></c></row>'.repeat(1) + ' '.repeat(40 * 1024 * 1024);
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    await expect(readXlsx('t.xlsx', xlsx)).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('fails with CORRUPT_FILE, not a hang, when a part does not inflate', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`).join('');
    const good = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    const at = good.indexOf(Buffer.from('xl/worksheets/sheet1.xml')) + 200;
    const bad = Buffer.from(good);
    for (let i = at; i < at + 64; i++) bad[i] = 0xff - bad[i]!;
    await expect(readXlsx('t.xlsx', bad)).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('reads stored (uncompressed) parts, empty ones included', async () => {
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml('<row><c><v>1</v></c></row>') }], sharedStrings: '', compress: false });
    expect((await readXlsx('t.xlsx', xlsx))['S']).toEqual({ columns: ['1'], rows: [] });
  });

  it('refuses truncated, mislabelled and legacy files', async () => {
    const good = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml('') }] });
    await expect(readXlsx('t.xlsx', good.subarray(0, good.length - 30))).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
    await expect(readXlsx('t.xlsx', Buffer.from('id,name\n1,a\n'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
    await expect(readXlsx('t.xls', Buffer.from('d0cf11e0a1b11ae1000000', 'hex'))).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
    await expect(readXlsx('t.csv', Buffer.from([1, 2, 0, 0, 5]))).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
  });

  it('fails with CORRUPT_FILE when a part inflates to more or less than its declared size', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`).join('');
    const good = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    for (const delta of [-10, 10]) {
      const bad = withDeclaredSize(good, 'xl/worksheets/sheet1.xml', delta);
      await expect(readXlsx('t.xlsx', bad)).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringMatching(delta < 0 ? /inflates past its declared size/ : /not the declared/) });
    }
  });

  it('reads a sheet too large to inflate in one call, and one inflated in a single call, alike', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${i}</v></c><c r="B${i + 2}" t="inlineStr"><is><t>row ${i % 97}</t></is></c></row>`).join('');
    const head = '<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c><c r="B1" t="inlineStr"><is><t>label</t></is></c></row>';
    for (const n of [10, 30000]) {
      const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(head + rows(n)) }] });
      const s = (await readXlsx('t.xlsx', xlsx))['S']!;
      expect(s.rows.length).toBe(n);
      expect(s.rows[n - 1]).toEqual([n - 1, `row ${(n - 1) % 97}`]);
    }
  });

  it('reads every sheet of a workbook in workbook order', async () => {
    const xlsx = await buildXlsx({ sheets: [{ name: 'B', xml: sheetXml('<row><c t="inlineStr"><is><t>b</t></is></c></row>') }, { name: 'A', xml: sheetXml('') }] });
    const r = await run([], bytesInput('two.xlsx', xlsx));
    expect(r.result.artifacts[0]).toMatchObject({ name: 'two-result.xlsx', sheets: ['B', 'A'] });
  });
});

/** The zip with the central directory's uncompressed size of `part` changed by `delta` (a part that lies). */
function withDeclaredSize(zip: Buffer, part: string, delta: number): Buffer {
  const out = Buffer.from(zip);
  const name = Buffer.from(part);
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 1, 2])); at >= 0; at = out.indexOf(Buffer.from([0x50, 0x4b, 1, 2]), at + 4)) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.subarray(at + 46, at + 46 + nameLength).equals(name)) {
      out.writeUInt32LE(out.readUInt32LE(at + 24) + delta, at + 24);
      return out;
    }
  }
  throw new Error(`no central directory entry ${part}`);
}

describe('ISO date text, in an xlsx date cell (t="d") and a csv alike', () => {
  it('reads a date that exists as a date and keeps an impossible one as the text written, never rolled over', async () => {
    const values = ['2024-02-29', '2024-02-31', '2023-02-29T10:00:00', '2024-04-31T00:00:00Z', '2024-01-05T24:00:00', '2024-02-03T04:05:06.5'];
    const head = '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row>';
    const rows = values.map((v, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="d"><v>${v}</v></c></row>`).join('');
    const xlsx = (await readSheets('t.xlsx', await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(head + rows) }] })))['S']!.rows;
    const csv = (await readSheets('t.csv', Buffer.from(['d', ...values].join('\n'))))['t']!.rows;
    // JavaScript's Date parser made 2024-02-31 into 2024-03-02 and 2023-02-29 into 2023-03-01.
    const expected = [[new Date('2024-02-29T00:00:00Z')], ['2024-02-31'], ['2023-02-29T10:00:00'], ['2024-04-31T00:00:00Z'], ['2024-01-05T24:00:00'], [new Date('2024-02-03T04:05:06.500Z')]];
    expect(xlsx).toEqual(expected);
    expect(csv).toEqual(expected);
  });

  it('reads an xlsx date cell with an offset from UTC as the instant it names, checked alike', async () => {
    const rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row>' +
      '<row r="2"><c r="A2" t="d"><v>2024-02-03T04:05:06+02:00</v></c></row><row r="3"><c r="A3" t="d"><v>2024-02-03T01:00:00-0130</v></c></row>' +
      '<row r="4"><c r="A4" t="d"><v>2024-02-30T04:05:06+02:00</v></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }] });
    expect((await readSheets('t.xlsx', xlsx))['S']!.rows).toEqual([[new Date('2024-02-03T02:05:06Z')], [new Date('2024-02-03T02:30:00Z')], ['2024-02-30T04:05:06+02:00']]);
  });

  it('keeps a date with an offset but no time as the text written, never moving it to the day before', async () => {
    // An offset is taken off a time; a date alone names a day, which 2024-02-03+02:00 made 2024-02-02 22:00.
    const values = ['2024-02-03+02:00', '2024-02-03-05:00', '2024-02-03+0200', '2024-02-03Z', '2024-02-03T04:05Z+02:00'];
    const head = '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row>';
    const rows = values.map((v, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="d"><v>${v}</v></c></row>`).join('');
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(head + rows) }] });
    expect((await readSheets('t.xlsx', xlsx))['S']!.rows).toEqual(values.map((v) => [v]));
  });
});

describe('csv reader', () => {
  const read = async (text: string | Buffer, name = 'Data.csv') => (await readSheets(name, typeof text === 'string' ? Buffer.from(text) : text))[name.replace(/\.\w+$/, '')]!;

  it('handles quotes, embedded delimiters and newlines, CRLF and a BOM', async () => {
    const s = await read('\uFEFFa,b\r\n"x, ""y""","line1\nline2"\r\n1,\r\n');
    expect(s).toEqual({ columns: ['a', 'b'], rows: [['x, "y"', 'line1\nline2'], [1, null]] });
  });

  it('drops blank lines and lines of empty fields inside the data as well as at the end', async () => {
    expect(await read('\na,b\n1,2\n\n,\n"",""\n3,4\n\n')).toEqual({ columns: ['a', 'b'], rows: [[1, 2], [3, 4]] });
  });

  it('ends a record at every line ending, however CRLF, LF and CR are mixed', async () => {
    expect(await read('a,b\r\n1,2\n3,4\r5,6\r\n"x\ny",7\n')).toEqual({ columns: ['a', 'b'], rows: [[1, 2], [3, 4], [5, 6], ['x\ny', 7]] });
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb\r\n1\t2\n3\t4\r\n', 'utf16le')]);
    expect((await read(buf, 'Data.txt')).rows).toEqual([[1, 2], [3, 4]]);
  });

  it('detects ; and tab delimiters', async () => {
    expect((await read('a;b\n1,5;2\n')).rows).toEqual([['1,5', 2]]);
    expect((await read('a\tb\n1\t2\n', 'Data.tsv')).rows).toEqual([[1, 2]]);
    expect((await read('a\tb\n1\t2\n')).rows).toEqual([[1, 2]]);
  });

  it('types plain numbers, ISO dates and booleans, keeping ids with leading zeros as text', async () => {
    expect((await read('v\n0012\n-1.5\n2024-02-29\nTRUE\n1e3\n12abc\n')).rows).toEqual([['0012'], [-1.5], [new Date('2024-02-29T00:00:00Z')], [true], [1000], ['12abc']]);
  });

  it('types an ISO date of the years 0000 to 0099 as the year written', async () => {
    expect((await read('v\n0099-12-31\n0010-06-15 08:00\n')).rows).toEqual([[new Date('0099-12-31T00:00:00Z')], [new Date('0010-06-15T08:00:00Z')]]);
  });

  it('reads a cell of a long run of blanks between spaces in one pass, as text, and a padded number as a number', async () => {
    // The regex trim this replaced took 43 s on the first cell, holding the event loop.
    const padded = ' a' + ' '.repeat(200_000) + 'b';
    const number = '\t7' + ' '.repeat(200_000);
    expect(inferCsvValue(padded)).toBe(padded);
    expect(inferCsvValue(number)).toBe(7);
    expect((await read(`a,b\n${padded},${number}\n`)).rows).toEqual([[padded, 7]]);
  });

  it('reads UTF-16 files with a BOM, as Excel saves "Unicode text"', async () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb\r\n東京\t1\r\n', 'utf16le')]);
    expect((await read(buf, 'Data.txt')).rows).toEqual([['東京', 1]]);
  });

  it('names the sheet after the file', async () => {
    expect(Object.keys(await readSheets('Sales 2024.csv', Buffer.from('a\n1\n')))).toEqual(['Sales 2024']);
  });
});

describe('a csv row past the reader\'s bound (16,384 fields, 8 MiB of characters)', () => {
  const OUTPUT = [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Big' }] }] } }];
  const MiB = 1024 * 1024;

  /** A csv whose second row is `head` then `chunks` MiB of `fill`, streamed 1 MiB at a time; `pulled` counts what was read. */
  function streamed(head: string, fill: string, chunks: number, tail = '') {
    const source = { pulled: 0 };
    function* gen() {
      yield Buffer.from(`a,b\n${head}`);
      const unit = Buffer.alloc(MiB, fill);
      for (let i = 0; i < chunks; i++) { source.pulled += MiB; yield unit; }
      yield Buffer.from(`${tail}\n2,3\n`);
    }
    return { source, input: { fileName: 'Big.csv', size: chunks * MiB, open: () => Readable.from(gen()) } };
  }

  it('fails the run with TOO_LARGE for a row of more fields, and reads one of exactly that many', async () => {
    const at = (fields: number) => `a,b\n${Array.from({ length: fields }, (_, i) => i).join(',')}\n`;
    await expect(run(OUTPUT, bytesInput('Big.csv', at(16_385)))).rejects
      .toMatchObject({ code: 'TOO_LARGE', message: 'the row at line 2 of the csv file has more than 16384 fields' });
    const ok = await run(OUTPUT, bytesInput('Big.csv', at(16_384)));
    expect(ok.text('out.csv')).toBe('a,b\r\n0,1\r\n');
  });

  it('fails the run with TOO_LARGE for a row of more characters, and reads one of exactly that many', async () => {
    const at = (chars: number) => `a,b\n1,"${'x'.repeat(chars - 1)}"\n`;
    await expect(run(OUTPUT, bytesInput('Big.csv', at(8 * MiB + 1024)))).rejects
      .toMatchObject({ code: 'TOO_LARGE', message: 'the row at line 2 of the csv file holds more than 8388608 characters' });
    const ok = await run(OUTPUT, bytesInput('Big.csv', at(8 * MiB)));
    expect(ok.result.steps[0]).toMatchObject({ rowsIn: 1 });
  });

  it('stops reading as soon as the row being built passes the bound, not at its end', async () => {
    const commas = streamed('', ',', 256);
    await expect(run(OUTPUT, commas.input)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(commas.source.pulled).toBeLessThanOrEqual(4 * MiB);
    const field = streamed('1,"', 'x', 256, '"');
    await expect(run(OUTPUT, field.input)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(field.source.pulled).toBeLessThanOrEqual(12 * MiB);
  });

  it('stops within the first MiB of a row of empty fields even when the source gives it in one chunk', async () => {
    // 64 MiB of commas in one buffer: parsed whole, they would be a record of 64 million fields (over 3 GB).
    const bytes = Buffer.alloc(64 * MiB, ',');
    bytes.write('a,b\n1', 0);
    const before = process.memoryUsage().heapUsed;
    await expect(run(OUTPUT, bytesInput('Big.csv', bytes))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * MiB);
  });
});

describe('a csv input closed before it was read to the end', () => {
  it('ends its source stream, which would otherwise stay open with its file', async () => {
    const { Readable } = await import('node:stream');
    const { openInput } = await import('../src/io/open-input.js');
    const { MemoryBudget } = await import('../src/flow/budget.js');
    const text = 'id,v\n' + Array.from({ length: 20_000 }, (_, i) => `${i},${i % 100}`).join('\n');
    // More than the 64 KB the format is detected from, and a source that has not ended (a large file being read).
    const source = new Readable({ read() {} });
    source.push(text);
    const wb = await openInput({ fileName: 'big.csv', open: () => source }, new MemoryBudget());
    expect(source.destroyed).toBe(false);
    await wb.close();
    await expect.poll(() => source.destroyed, { timeout: 5_000 }).toBe(true);
  });
});
