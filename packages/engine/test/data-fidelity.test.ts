import { describe, expect, it } from 'vitest';
import { previewWorkflow } from '../src/index.js';
import { csvNumber } from '../src/io/csv-artifact.js';
import { isElapsedFormatCode, isTimeFormatCode } from '../src/io/xlsx-meta.js';
import { bytesInput, run } from './helpers.js';
import { toText } from '../src/values.js';
import { buildXlsx, sheetXml } from './xlsx-builder.js';

/**
 * What a finance or operations user sees in the files a run writes, for values as Excel, LibreOffice and
 * openpyxl write them: each case is a cell that came out as other data than went in.
 */

/** Style 1: hh:mm (a time of day); style 2: a date (built-in 14); 3: yyyy-mm-dd hh:mm; 4: h:mm AM/PM (built-in 18). */
const TIME_STYLES = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="hh:mm"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="18"/></cellXfs></styleSheet>`;

const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

describe('times of day', () => {
  it.each([
    ['1900', ''],
    ['1904', '<workbookPr date1904="1"/>'],
  ])('a time cell of the %s date system stays a time of day in csv and xlsx outputs', async (_, workbookPr) => {
    const rows =
      `<row r="1">${inline('A1', 'shift')}${inline('B1', 'start')}${inline('C1', 'day')}</row>` +
      `<row r="2">${inline('A2', 'early')}<c r="B2" s="1"><v>0.395833333333333</v></c><c r="C2" s="2"><v>${workbookPr ? 43890 : 45352}</v></c></row>` +
      `<row r="3">${inline('A3', 'late')}<c r="B3" s="4"><v>0.75</v></c></row>` +
      // Serial 0 is midnight in either system (in the 1904 system it is also 1904-01-01, but not as hh:mm).
      `<row r="4">${inline('A4', 'night')}<c r="B4" s="1"><v>0</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'Shifts', xml: sheetXml(rows) }], styles: TIME_STYLES, workbookPr });
    const r = await run([{ type: 'output', params: { artifacts: [{ name: 'shifts.csv', sheets: [{ from: 'Shifts' }] }, { name: 'shifts.xlsx' }] } }], bytesInput('shifts.xlsx', xlsx));
    expect(r.text('shifts.csv')).toBe('shift,start,day\r\nearly,09:30:00,2024-03-01\r\nlate,18:00:00,\r\nnight,00:00:00,\r\n');
    const back = (await r.sheets('shifts.xlsx'))['Shifts']!;
    expect(back.rows.map((row) => row[1])).toEqual([new Date('1899-12-30T09:30:00Z'), new Date('1899-12-30T18:00:00Z'), new Date('1899-12-30T00:00:00Z')]);
    // Written with an h:mm:ss style (built-in 21) and the serial it was read as.
    const sheet = await sheetPart(r.files.get('shifts.xlsx')!);
    expect(sheet).toContain('<c r="B3" s="3"><v>0.75</v></c>');
    expect(sheet).toContain('<c r="B4" s="3"><v>0</v></c>');
  });

  it('keeps a date on 1899-12-30 a date: a csv placeholder for no date, and serials shown as dates', async () => {
    const rows =
      `<row r="1">${inline('A1', 'what')}${inline('B1', 'when')}</row>` +
      `<row r="2">${inline('A2', 'date')}<c r="B2" s="2"><v>0</v></c></row>` +
      `<row r="3">${inline('A3', 'date and time')}<c r="B3" s="3"><v>0.5</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'D', xml: sheetXml(rows) }], styles: TIME_STYLES });
    const out = [{ type: 'output', params: { artifacts: [{ name: 'd.csv', sheets: [{ from: 'D' }] }, { name: 'd.xlsx', sheets: [{ from: 'D' }] }] } }];
    const fromXlsx = await run(out, bytesInput('d.xlsx', xlsx));
    // As before time-only formats were told apart: the 1900 system's serial 0.5 is 1900-01-00 12:00, read as openpyxl reads it.
    expect(fromXlsx.text('d.csv')).toBe('what,when\r\ndate,1899-12-30\r\ndate and time,1899-12-31 12:00:00\r\n');
    const fromCsv = await run(out, bytesInput('D.csv', 'what,when\nnone yet,1899-12-30\nstamp,1899-12-30 09:30\n'));
    expect(fromCsv.text('d.csv')).toBe('what,when\r\nnone yet,1899-12-30\r\nstamp,1899-12-30 09:30:00\r\n');
    // Not times of day in an xlsx either: the day of serial 0, written as its serial in a date style, and the
    // xlsx's own serials go back as they came. 1899-12-30 09:30 has no serial: 0.3958 is 1899-12-31 09:30
    // (Excel's 1900-01-00 09:30), the day the reader and Excel gave it back as. It is written as a csv writes it.
    const sheet = await sheetPart(fromCsv.files.get('d.xlsx')!);
    expect(sheet).toContain('<c r="B2" s="1"><v>0</v></c>');
    expect(sheet).toContain('<c r="B3" t="inlineStr"><is><t>1899-12-30 09:30:00</t></is></c>');
    expect((await fromCsv.sheets('d.xlsx'))['D']!.rows.map((row) => toText(row[1]!))).toEqual(['1899-12-30', '1899-12-30 09:30:00']);
    const back = await sheetPart(fromXlsx.files.get('d.xlsx')!);
    expect(back).toContain('<c r="B2" s="1"><v>0</v></c>');
    expect(back).toContain('<c r="B3" s="2"><v>0.5</v></c>');
  });

  it('keeps a time of day one through arithmetic, wrapping around midnight, and sends it as 09:30:00 in JSON', async () => {
    const rows = `<row r="1">${inline('A1', 'start')}</row><row r="2"><c r="A2" s="1"><v>0.395833333333333</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'S', xml: sheetXml(rows) }], styles: TIME_STYLES });
    const steps = [
      { type: 'compute_column', params: { column: 'end', expression: 'start + 8 / 24' } },
      { type: 'compute_column', params: { column: 'past midnight', expression: 'start + 16 / 24' } },
      { type: 'compute_column', params: { column: 'before midnight', expression: 'start - 10 / 24' } },
      { type: 'compute_column', params: { column: 'added', expression: 'add_days(start, 1 / 24)' } },
      { type: 'output', params: { artifacts: [{ name: 's.csv', sheets: [{ from: 'S' }] }] } },
    ];
    const r = await run(steps, bytesInput('s.xlsx', xlsx));
    // Around midnight a time wraps, as an h:mm cell shows it; add_days keeps a time a time, as + does.
    expect(r.text('s.csv')).toBe('start,end,past midnight,before midnight,added\r\n09:30:00,17:30:00,01:30:00,23:30:00,10:30:00\r\n');
    const p = await previewWorkflow({ steps: steps.slice(0, 1), input: bytesInput('s.xlsx', xlsx), limit: 10 });
    expect(JSON.stringify(p.steps[0]!.sheets['S']!.rows)).toBe('[["09:30:00","17:30:00"]]');
  });
});

describe('dates in an xlsx artifact', () => {
  it('writes a date before 1900-01-01, which Excel\'s 1900 date system has no serial for, as its ISO text, as a csv does', async () => {
    const dates = ['0000-01-01', '1000-06-15 08:00', '1899-12-29 18:00', '1899-12-30', '1899-12-30 12:00', '1899-12-31 12:00', '1900-01-01', '1900-01-01 12:00', '1900-02-28', '1900-03-01', '9999-12-31'];
    const out = [{ type: 'output', params: { artifacts: [{ name: 'd.xlsx' }, { name: 'd.csv', sheets: [{ from: 'd' }] }] } }];
    const r = await run(out, bytesInput('d.csv', ['when', ...dates].join('\n')));
    const sheet = await sheetPart(r.files.get('d.xlsx')!);
    // Not negative serials, which Excel shows as ####. The days of serials 0 to 1 keep them (1900-01-00 to Excel):
    // what elapsed-time cells under a day are read as (see values.test.ts).
    const cells = [...sheet.matchAll(/<c r="A(\d+)"([^>]*)>(.*?)<\/c>/g)].slice(1).map((m) => `${m[2]}${m[3]}`);
    expect(cells).toEqual([
      ' t="inlineStr"<is><t>0000-01-01</t></is>',
      ' t="inlineStr"<is><t>1000-06-15 08:00:00</t></is>',
      ' t="inlineStr"<is><t>1899-12-29 18:00:00</t></is>',
      ' s="1"<v>0</v>',
      // 0.5 is 1899-12-31 12:00, below: 1899-12-30 12:00 has no serial.
      ' t="inlineStr"<is><t>1899-12-30 12:00:00</t></is>',
      ' s="2"<v>0.5</v>',
      // Serials 1 to 59 are 1900-01-01 to 1900-02-28, 60 the 29 February 1900 Excel counts, 61 1900-03-01.
      ' s="1"<v>1</v>',
      ' s="2"<v>1.5</v>',
      ' s="1"<v>59</v>',
      ' s="1"<v>61</v>',
      ' s="1"<v>2958465</v>',
    ]);
    expect(r.text('d.csv')).toBe('when\r\n0000-01-01\r\n1000-06-15 08:00:00\r\n1899-12-29 18:00:00\r\n1899-12-30\r\n1899-12-30 12:00:00\r\n1899-12-31 12:00:00\r\n1900-01-01\r\n1900-01-01 12:00:00\r\n1900-02-28\r\n1900-03-01\r\n9999-12-31\r\n');
  });
});

describe('negative durations', () => {
  /** Style 1: [h]:mm; 2: mm:ss; 3: h:mm (a time of day); 4: built-in 46, [h]:mm:ss; 5: yyyy-mm-dd (a date). */
  const DURATION_STYLES = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="4"><numFmt numFmtId="164" formatCode="[h]:mm"/><numFmt numFmtId="165" formatCode="mm:ss"/><numFmt numFmtId="166" formatCode="h:mm"/><numFmt numFmtId="167" formatCode="yyyy-mm-dd"/></numFmts>
<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="46"/><xf numFmtId="167"/></cellXfs></styleSheet>`;

  it.each([
    ['1900', ''],
    ['1904', '<workbookPr date1904="1"/>'],
  ])('stay the numbers they are in time and elapsed-time cells of the %s date system, in csv and xlsx outputs', async (_, workbookPr) => {
    // A timesheet's balance, =actual-planned: 6 hours short, 90 seconds, a night shift's end - start. Excel's
    // 1900 system shows them as ####, its 1904 system as -6:00; they add up either way.
    const rows =
      `<row r="1">${inline('A1', 'balance')}${inline('B1', 'lap')}${inline('C1', 'shift')}${inline('D1', 'total')}${inline('E1', 'worked')}</row>` +
      `<row r="2"><c r="A2" s="1"><v>-0.25</v></c><c r="B2" s="2"><v>-0.00104166666666667</v></c><c r="C2" s="3"><v>-0.375</v></c><c r="D2" s="4"><v>-1.5</v></c><c r="E2" s="1"><v>0.5</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'T', xml: sheetXml(rows) }], styles: DURATION_STYLES, workbookPr });
    const r = await run([{ type: 'output', params: { artifacts: [{ name: 't.csv', sheets: [{ from: 'T' }] }, { name: 't.xlsx', sheets: [{ from: 'T' }] }] } }], bytesInput('t.xlsx', xlsx));
    // They were dates before 1899-12-30 (1903-12-31 in the 1904 system), which an xlsx artifact writes as text.
    expect(r.text('t.csv')).toBe(`balance,lap,shift,total,worked\r\n-0.25,-0.00104166666666667,-0.375,-1.5,${workbookPr ? '1904-01-01 12:00:00' : '1899-12-31 12:00:00'}\r\n`);
    expect((await r.sheets('t.xlsx'))['T']!.rows[0]!.slice(0, 4)).toEqual([-0.25, -0.00104166666666667, -0.375, -1.5]);
  });

  it('leave a negative serial in a date format a date, as openpyxl writes a date before 1900', async () => {
    const rows = `<row r="1">${inline('A1', 'born')}</row><row r="2"><c r="A2" s="5"><v>-18000</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'P', xml: sheetXml(rows) }], styles: DURATION_STYLES });
    const r = await run([{ type: 'output', params: { artifacts: [{ name: 'p.csv', sheets: [{ from: 'P' }] }] } }], bytesInput('p.xlsx', xlsx));
    expect(r.text('p.csv')).toBe('born\r\n1850-09-18\r\n');
  });
});

describe('number formats that show a time of day only', () => {
  it('are told from date and date-and-time formats', () => {
    const times = ['hh:mm', 'h:mm AM/PM', 'h:mm:ss A/P', '[$-409]h:mm:ss AM/PM;@', 'h "h" mm "min"'];
    // Elapsed time is a duration that may pass a day (28:00:00 in [h]:mm:ss): not a time of day that wraps.
    const others = ['yyyy-mm-dd hh:mm', 'dd/mm/yyyy', 'mmm h:mm', 'm/d', 'mm', '0.00', 'General', '"Day" 0.00', 'd h:mm', '[h]:mm:ss', '[mm]:ss', 'mm:ss', 'mm:ss.0'];
    expect(times.filter((c) => !isTimeFormatCode(c))).toEqual([]);
    expect(others.filter((c) => isTimeFormatCode(c))).toEqual([]);
  });

  it('and from elapsed time, a duration', () => {
    const elapsed = ['[h]:mm:ss', '[mm]:ss', '[h]:mm;@', 'mm:ss', 'mm:ss.0', '[$-409]mm:ss', '[ss]'];
    const others = ['hh:mm', 'h:mm AM/PM', 'yyyy-mm-dd hh:mm:ss', 'dd/mm/yyyy', 'mm', 'mmm', 'd h:mm:ss', '0.00', 'General', '"s" 0'];
    expect(elapsed.filter((c) => !isElapsedFormatCode(c))).toEqual([]);
    expect(others.filter((c) => isElapsedFormatCode(c))).toEqual([]);
  });
});

/** The XML of the first worksheet of an xlsx the engine wrote. */
async function sheetPart(xlsx: Buffer): Promise<string> {
  const { ZipInput } = await import('../src/io/zip-input.js');
  const zip = await ZipInput.open(xlsx);
  try {
    return await zip.text('xl/worksheets/sheet1.xml');
  } finally {
    zip.close();
  }
}

describe('text as Excel escapes it', () => {
  it('decodes _xHHHH_ in shared, inline and formula strings: a carriage return, and a literal _x', async () => {
    const sst = `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
<si><t>customer</t></si><si><t>address</t></si><si><t xml:space="preserve">Hauptstr. 1_x000D_
10115 Berlin</t></si><si><t>code_x005F_x0041_</t></si></sst>`;
    const rows =
      `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>${inline('C1', 'note_x0009_tab')}</row>` +
      `<row r="2">${inline('A2', 'Acme_x000D_')}<c r="B2" t="s"><v>2</v></c><c r="C2" t="s"><v>3</v></c></row>` +
      `<row r="3"><c r="A3" t="str"><f>A2</f><v>Beta_x000D_</v></c><c r="B3" t="inlineStr"><is><r><t>x_x000D_</t></r><r><t>y</t></r></is></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'C', xml: sheetXml(rows) }], sharedStrings: sst });
    const r = await run([], bytesInput('c.xlsx', xlsx));
    expect((await r.sheets())['C']).toEqual({
      columns: ['customer', 'address', 'note\ttab'],
      rows: [['Acme\r', 'Hauptstr. 1\r\n10115 Berlin', 'code_x0041_'], ['Beta\r', 'x\ry', null]],
    });
    // Written back so that Excel, openpyxl and the engine read the same text: a carriage return as a reference,
    // which XML does not normalise, and a literal _x0041_ as Excel writes it.
    expect(await sheetPart(r.files.get('c-result.xlsx')!)).toContain('<t>Hauptstr. 1&#13;\n10115 Berlin</t></is></c><c r="C2" t="inlineStr"><is><t>code_x005F_x0041_</t>');
    expect((await r.sheets())['C']!.rows[0]).toEqual(['Acme\r', 'Hauptstr. 1\r\n10115 Berlin', 'code_x0041_']);
  });
});

describe('control characters in cell text', () => {
  it('writes a character XML cannot carry as _xHHHH_, as Excel does, so it comes back instead of being dropped', async () => {
    const rows =
      `<row r="1">${inline('A1', 'note')}${inline('B1', 'code')}</row>` +
      `<row r="2">${inline('A2', 'line1_x000B_line2_x0001_end')}${inline('B2', 'a_x001F_b_xFFFF__x005F_x000B_')}</row>`;
    const r = await run([], bytesInput('c.xlsx', await buildXlsx({ sheets: [{ name: 'C', xml: sheetXml(rows) }] })));
    const xml = await sheetPart(r.files.get('c-result.xlsx')!);
    expect(xml).toContain('<t>line1_x000B_line2_x0001_end</t>');
    expect(xml).toContain('<t>a_x001F_b_xFFFF__x005F_x000B_</t>');
    expect((await r.sheets())['C']!.rows).toEqual([['line1\u000Bline2\u0001end', 'a\u001Fb\uFFFF_x000B_']]);
    // A csv carries them as they are.
    const c = await run([{ type: 'output', params: { artifacts: [{ name: 'c.csv', sheets: [{ from: 'C' }] }] } }], bytesInput('c.xlsx', await buildXlsx({ sheets: [{ name: 'C', xml: sheetXml(rows) }] })));
    expect(c.text('c.csv')).toBe('note,code\r\nline1\u000Bline2\u0001end,a\u001Fb\uFFFF_x000B_\r\n');
  });
});

describe('long ids in a csv', () => {
  it('keeps unsigned whole numbers of more than 15 digits as text, so they are written out and joined digit for digit', async () => {
    const orders = 'ref,amount\n1234567890123456789,10\n1234567890123456788,20\n9007199254740993,30\n123456789012345,40\n-0000000000000001,50\n-1234567890123456789,60\n';
    const refs = 'ref,owner\n1234567890123456788,Bea\n1234567890123456789,Al\n';
    const r = await run(
      [
        { type: 'lookup', params: { from: { file: 'refs' }, on: [{ left: 'ref', right: 'ref' }], columns: [{ column: 'owner' }] } },
        { type: 'output', params: { artifacts: [{ name: 'out.csv', sheets: [{ from: 'orders' }] }] } },
      ],
      bytesInput('orders.csv', orders),
      { files: { refs: bytesInput('refs.csv', refs) } },
    );
    expect(r.text('out.csv')).toBe(
      'ref,amount,owner\r\n1234567890123456789,10,Al\r\n1234567890123456788,20,Bea\r\n9007199254740993,30,\r\n123456789012345,40,\r\n' +
        // Leading zeros were text before and stay text (quoted and prefixed, as text starting with - is).
        '"\'-0000000000000001",50,\r\n' +
        // A signed one is a quantity, a number as before, written as the double's own digits (a whole number has
        // no binary-fraction noise to drop); an unsigned id starts with a digit and is never prefixed by the guard.
        '-1234567890123456800,60,\r\n',
    );
  });
});

describe('sheets past the Excel grid', () => {
  it('warns when an xlsx sheet has more rows than Excel opens (1,048,576 with the header)', async () => {
    const tall = Buffer.from('n\n' + '1\n'.repeat(1_048_576));
    const r = await run([{ type: 'output', params: { artifacts: [{ name: 'tall.xlsx' }] } }], bytesInput('tall.csv', tall));
    expect(r.result.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'tall.xlsx: sheet "tall" has 1048577 rows with its header; Excel opens the first 1048576 only (write it as csv, or split it)',
    ]);
  }, 60_000);

  it('warns when an xlsx sheet has more columns than Excel opens (16,384)', async () => {
    const wide = Buffer.from(Array.from({ length: 16_384 }, (_, i) => `c${i}`).join(',') + '\n' + '1,'.repeat(16_383) + '1\n');
    const r = await run([{ type: 'compute_column', params: { column: 'one more', expression: 'c0 + 1' } }], bytesInput('wide.csv', wide));
    expect(r.result.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['wide-result.xlsx: sheet "wide" has 16385 columns; Excel opens the first 16384 only']);
  });
});

describe('numbers Excel wrote with 17 digits', () => {
  it('reads a formula result as the value Excel shows and compares, 15 significant digits', async () => {
    const rows =
      `<row r="1">${inline('A1', 'line')}${inline('B1', 'amount')}${inline('C1', 'at')}</row>` +
      `<row r="2">${inline('A2', 'a')}<c r="B2"><f>19.99*3</f><v>59.970000000000006</v></c><c r="C2" s="1"><v>0.39583333333333331</v></c></row>` +
      `<row r="3">${inline('A3', 'b')}<c r="B3"><f>0.1+0.2</f><v>0.30000000000000004</v></c></row>` +
      `<row r="4">${inline('A4', 'c')}<c r="B4"><v>1.2345678901234567E-5</v></c></row>` +
      `<row r="5">${inline('A5', 'd')}<c r="B5"><v>4111111111111111</v></c></row>`;
    const xlsx = await buildXlsx({ sheets: [{ name: 'L', xml: sheetXml(rows) }], styles: TIME_STYLES });
    const r = await run(
      [
        { type: 'filter', params: { where: { column: 'amount', op: 'in', value: [59.97, 0.3, 0.0000123456789012346, 4111111111111111] } } },
        { type: 'output', params: { artifacts: [{ name: 'l.csv', sheets: [{ from: 'L' }] }] } },
      ],
      bytesInput('l.xlsx', xlsx),
    );
    expect(r.text('l.csv')).toBe('line,amount,at\r\na,59.97,09:30:00\r\nb,0.3,\r\nc,0.0000123456789012346,\r\nd,4111111111111111,\r\n');
  });

  it('reads a csv number of more than 15 significant digits alike', async () => {
    const r = await run([{ type: 'filter', params: { where: { column: 'x', op: 'eq', value: 0.3 } } }, { type: 'output', params: { artifacts: [{ name: 'x.csv', sheets: [{ from: 'x' }] }] } }], bytesInput('x.csv', 'x\n0.30000000000000004\n0.3\n0.1\n'));
    expect(r.text('x.csv')).toBe('x\r\n0.3\r\n0.3\r\n');
  });
});

describe('a csv laid out with spaces', () => {
  it('reads numbers, dates and booleans with spaces or tabs around them as such, and keeps text as it is', async () => {
    const text = 'id, amount, day, paid, note\n1, 19.99, 2024-01-05, true,  lead\n2,  100 ,2024-01-06 ,FALSE\t, 00123\n3,\t5,x, no,  \n';
    const r = await run([{ type: 'sort', params: { by: [{ column: 'amount' }] } }, { type: 'output', params: { artifacts: [{ name: 'o.xlsx' }] } }], bytesInput('pay.csv', text));
    expect((await r.sheets())['pay']).toEqual({
      columns: ['id', 'amount', 'day', 'paid', 'note'],
      rows: [
        [3, 5, 'x', ' no', '  '],
        [1, 19.99, new Date('2024-01-05T00:00:00Z'), true, '  lead'],
        [2, 100, new Date('2024-01-06T00:00:00Z'), false, ' 00123'],
      ],
    });
  });
});

describe('numbers computed in doubles, written to csv with at most the 15 digits Excel displays', () => {
  const ledger = 'g,x\n' + [...Array.from({ length: 61 }, () => 'vat,0.1'), 'pair,0.1', 'pair,0.2', 'books,100.1', 'books,-50.05', 'books,-50.05', 'cancel,1e12', 'cancel,-1e12', 'cancel,0.001234', 'id,9007199254740991'].join('\n');
  const steps = [
    { type: 'aggregate', params: { groupBy: ['g'], measures: [{ column: 'x', fn: 'sum', as: 'sum' }, { column: 'x', fn: 'avg', as: 'avg' }, { fn: 'count', as: 'n' }] } },
    { type: 'compute_column', params: { column: 'mean', expression: 'sum / n' } },
    { type: 'compute_column', params: { column: 'cancelled', expression: '1e10 + 0.00001 - 1e10' } },
    { type: 'compute_column', params: { column: 'residue', expression: '0.1 + 0.2 - 0.3' } },
    { type: 'output', params: { artifacts: [{ name: 'sums.csv', sheets: [{ from: 'ledger' }] }, { name: 'sums.xlsx', sheets: [{ from: 'ledger' }] }] } },
  ];

  it('writes a csv number with at most 15 significant digits, and keeps small results of large values that cancel', async () => {
    const r = await run(steps, bytesInput('ledger.csv', ledger));
    // In doubles (and pandas) the sums are 6.1000000000000005, 0.30000000000000004 and 0.15000000000000002 and
    // the books balance to 0 (Kahan-compensated); 1e12 - 1e12 + 0.001234 keeps its 0.001234, avg is sum / n,
    // 1e10 + 0.00001 - 1e10 is 0.0000095367431640625 (1e10 holds no finer step), and 0.1 + 0.2 - 0.3 is
    // 5.551115123125783e-17: a value, written to its 15 digits, not as 0.
    const each = ',0.0000095367431640625,5.55111512312578e-17\r\n';
    expect(r.text('sums.csv')).toBe(
      'g,sum,avg,n,mean,cancelled,residue\r\n' +
        'vat,6.1,0.1,61,0.1' + each +
        'pair,0.3,0.15,2,0.15' + each +
        'books,0,0,3,0' + each +
        'cancel,0.001234,0.000411333333333333,3,0.000411333333333333' + each +
        'id,9007199254740991,9007199254740991,1,9007199254740991' + each,
    );
  });

  it('writes 15 significant digits only when the shortest form of a number has more, and safe integers as they are', () => {
    const cases: Array<[number, string]> = [
      [6.1000000000000005, '6.1'], [-0.30000000000000004, '-0.3'], [1 / 3, '0.333333333333333'], [1.4210854715202004e-14, '1.4210854715202e-14'],
      [123456.789, '123456.789'], [0.1, '0.1'], [123456789.01234567, '123456789.012346'], [1e21, '1e+21'], [5e-324, '5e-324'],
      [9007199254740991, '9007199254740991'], [-9007199254740991, '-9007199254740991'], [4111111111111111, '4111111111111111'],
      // Past 2^53 a whole number's digits are the double's own (an int64 id read by pandas): written as they are.
      [2 ** 53 + 2, '9007199254740994'], [-1234567890123456789, '-1234567890123456800'], [2 ** 60, '1152921504606847000'],
      // From 1e21 on String() has an exponent: 15 digits, as Excel displays it.
      [1.2345678901234567e22, '1.23456789012346e+22'],
      // 15 digits of the largest double would round past it: written as it is.
      [Number.MAX_VALUE, String(Number.MAX_VALUE)],
    ];
    expect(cases.map(([n]) => csvNumber(n))).toEqual(cases.map(([, s]) => s));
  });

  it('keeps the full double in an xlsx cell, which Excel displays to at most 15 digits itself', async () => {
    const r = await run(steps, bytesInput('ledger.csv', ledger));
    const sheet = await sheetPart(r.files.get('sums.xlsx')!);
    expect(sheet).toContain('<v>6.1000000000000005</v><');
    expect(sheet).toContain('<v>0.30000000000000004</v><');
    expect(sheet).toContain('<v>5.551115123125783e-17</v><');
  });

  it('shows the values themselves in a preview: the full double the next step compares', async () => {
    const p = await previewWorkflow({ steps: steps.slice(0, 2), input: bytesInput('ledger.csv', ledger), limit: 100 });
    expect(p.steps[1]!.sheets['ledger']!.rows.slice(0, 2)).toEqual([
      ['vat', 6.1000000000000005, 6.1000000000000005 / 61, 61, 6.1000000000000005 / 61],
      ['pair', 0.30000000000000004, 0.15000000000000002, 2, 0.15000000000000002],
    ]);
  });
});
