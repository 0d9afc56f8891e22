import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EngineError, previewWorkflow, ruleTypes, validateSteps, type StepSpec } from '../../src/index.js';
import { columnNames } from '../../src/io/raw-rows.js';
import { bytesInput, csv, run } from '../helpers.js';
import { buildXlsx, sheetXml } from '../xlsx-builder.js';

/** A bank's csv export: a title, the account, the period and a blank line above the header (line 5). */
const STATEMENT = [
  'Account statement',
  'Account;DE12 3456 7890 1234 5678 90',
  'Period;2024-01-01;2024-01-31',
  '',
  'Booking date;Value date;Text;Amount',
  '2024-01-02;2024-01-02;Coffee;-3.5',
  '',
  '2024-01-03;2024-01-04;Salary;2500',
  '2024-01-05;2024-01-05;Rent;-900',
].join('\n');
const COLUMNS = ['Booking date', 'Value date', 'Text', 'Amount'];
const day = (d: string) => new Date(`${d}T00:00:00Z`);
const DATA = [
  [day('2024-01-02'), day('2024-01-02'), 'Coffee', -3.5],
  [day('2024-01-03'), day('2024-01-04'), 'Salary', 2500],
  [day('2024-01-05'), day('2024-01-05'), 'Rent', -900],
];
const statement = (text = STATEMENT) => csv(text, 'Statement.csv');
const header = (params: Record<string, unknown>): StepSpec => ({ type: 'header_row', params });
const BY_CONTENT = header({ find: { values: ['Booking date'] } });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the run to fail'); }, (e: EngineError) => e);

describe('header_row on a csv', () => {
  it('takes the header from the row number the spreadsheet shows, blank lines counted, and leaves the rows above out', async () => {
    const r = await run([header({ row: 5 }), { type: 'filter', params: { where: { column: 'Amount', op: 'lt', value: 0 } } }], statement());
    const sheet = (await r.sheets())['Statement']!;
    expect(sheet).toEqual({ columns: COLUMNS, rows: [DATA[0], DATA[2]] });
    expect(r.result.steps).toEqual([
      expect.objectContaining({ type: 'header_row', status: 'SUCCEEDED', rowsIn: 6, rowsOut: 3 }),
      expect.objectContaining({ type: 'filter', rowsIn: 3, rowsOut: 2 }),
    ]);
    expect(r.result.logs).toContainEqual({ level: 'info', message: 'sheet "Statement": header at row 5, 3 rows above it left out', step: 0 });
    expect(r.result.logs).toContainEqual({ level: 'info', message: 'read sheet "Statement": 3 rows' });
  });

  it('finds the header by a cell it holds, however many lines the export puts above it this month', async () => {
    const longer = STATEMENT.replace('Period;', 'Currency;EUR\nOpening balance;1000\nPeriod;');
    for (const text of [STATEMENT, longer]) {
      const r = await run([BY_CONTENT], statement(text));
      expect((await r.sheets())['Statement']).toEqual({ columns: COLUMNS, rows: DATA });
    }
    const r = await run([BY_CONTENT], statement(longer));
    expect(r.result.logs).toContainEqual(expect.objectContaining({ message: 'sheet "Statement": header at row 7, 5 rows above it left out' }));
  });

  it('matches a cell ignoring case when asked, and requires every value given in one row', async () => {
    const text = STATEMENT.replace('Account;', 'Text;Amount due\nAccount;');
    const r = await run([header({ find: { values: ['TEXT', 'amount'], caseInsensitive: true } })], statement(text));
    expect((await r.sheets())['Statement']).toEqual({ columns: COLUMNS, rows: DATA });
    const err = await failure(run([header({ find: { values: ['booking date'] } })], statement()));
    expect(err).toMatchObject({
      code: 'HEADER_NOT_FOUND',
      step: 0,
      message: 'sheet "Statement" has no header: no row has a cell equal to "booking date" (spaces around a cell ignored; 7 rows with a value searched)',
    });
  });

  it('compares cells trimmed unless told not to', async () => {
    const padded = STATEMENT.replace('Booking date;', ' Booking date ;');
    expect((await (await run([BY_CONTENT], statement(padded))).sheets())['Statement']!.columns).toEqual(COLUMNS);
    const err = await failure(run([header({ find: { values: ['Booking date'], trim: false } })], statement(padded)));
    expect(err).toMatchObject({ code: 'HEADER_NOT_FOUND', message: expect.stringContaining('equal to "Booking date" (spaces counted; 7 rows with a value searched)') });
  });

  it('finds a number header cell by the number the file writes, not only by the text the engine names it with', async () => {
    // An ERP report's periods as columns: the reader types 2023.10 as the number 2023.1 (its column's name).
    const text = 'Balances by period\nAccount;2023.09;2023.10;2023.11\n4000;1;2;3\n';
    for (const values of [['Account', '2023.10'], ['2023.1'], ['2023.11', '2023.09']]) {
      const r = await run([header({ find: { values } })], statement(text));
      expect((await r.sheets())['Statement']).toEqual({ columns: ['Account', '2023.09', '2023.1', '2023.11'], rows: [[4000, 1, 2, 3]] });
    }
    await expect(run([header({ find: { values: ['2023.12'] } })], statement(text))).rejects.toMatchObject({ code: 'HEADER_NOT_FOUND' });
  });

  it('names the columns of the header it finds by the rules of any header: trimmed, blank ones Column<n>, repeats _2', async () => {
    const text = 'Report\nDate;;Amount; Amount ;\n2024-01-02;x;1;2;3\n';
    const r = await run([header({ row: 2 })], statement(text));
    const sheet = (await r.sheets())['Statement']!;
    expect(sheet.columns).toEqual(['Date', 'Column2', 'Amount', 'Amount_2', 'Column5']);
    expect(sheet.columns).toEqual(columnNames(['Date', '', 'Amount', ' Amount ', '']));
  });

  it('sniffs the delimiter from the header line, not from a title above it', async () => {
    // The title has commas (and names a column); the export's rows are separated by semicolons.
    const text = '\uFEFFBooking date report, January, 2024\n"Booking date";"Amount"\n2024-01-02;-3.5\n';
    const expected = { columns: ['Booking date', 'Amount'], rows: [[day('2024-01-02'), -3.5]] };
    expect((await (await run([header({ row: 2 })], statement(text))).sheets())['Statement']).toEqual(expected);
    expect((await (await run([BY_CONTENT], statement(text))).sheets())['Statement']).toEqual(expected);
  });

  it('finds the header\'s line, and so its delimiter, past the first 64 KB of a file read as storage streams it', async () => {
    // A report's parameters block above a ';' header: 2,000 lines, 90 KB, with no delimiter in them.
    const block = Array.from({ length: 2000 }, (_, i) => `Selected account ${i + 1}: DE12 3456 7890 ${String(i).padStart(6, '0')}`);
    const text = [...block, '', 'Booking date;Value date;Text;Amount', '2024-01-02;2024-01-02;Coffee;-3.5', ''].join('\n');
    const bytes = Buffer.from(text);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    // Files reach the engine in chunks of 64 KiB (a file stream's, a storage response's): the head is the first.
    const input = { fileName: 'Statement.csv', size: bytes.length, open: () => Readable.from((function* () { for (let at = 0; at < bytes.length; at += 65536) yield bytes.subarray(at, at + 65536); })()) };
    const expected = { columns: COLUMNS, rows: [DATA[0]] };
    expect((await (await run([BY_CONTENT], input)).sheets())['Statement']).toEqual(expected);
    expect((await (await run([header({ row: 2002 })], input)).sheets())['Statement']).toEqual(expected);
    const p = await previewWorkflow({ steps: [BY_CONTENT], input, limit: 5 });
    expect(p.steps[0]!.sheets['Statement']).toEqual(expected);
  });

  it('reads a quote inside a title\'s text as the parser does, as a character, when it looks for the header\'s line', async () => {
    // 27" is no quoted cell (a quote opens one only at a cell's start): line 3 is a record of its own.
    const text = 'Inventory of 27" monitors, all sites\nAs of 2024-01-31\nSite;Model;Qty\nBerlin;"X27 ""Pro""\n2";4\n';
    const expected = { columns: ['Site', 'Model', 'Qty'], rows: [['Berlin', 'X27 "Pro"\n2', 4]] };
    expect((await (await run([header({ row: 3 })], statement(text))).sheets())['Statement']).toEqual(expected);
    expect((await (await run([header({ find: { values: ['Site', 'Qty'] } })], statement(text))).sheets())['Statement']).toEqual(expected);
    // A quoted cell holding a line break and an escaped quote above the header is still one row.
    const quoted = '"Notes: ""A""\nB";x\nSite;Model;Qty\nBerlin;"X27 ""Pro""\n2";4\n';
    expect((await (await run([header({ row: 2 })], statement(quoted))).sheets())['Statement']).toEqual(expected);
  });

  it('counts a row as a spreadsheet does: a quoted cell holding a line break is one row, CR and CRLF end rows', async () => {
    const text = '"Bank\nHQ";Berlin\r\n\rBooking date;Amount\r\n2024-01-02;-3.5\r\n';
    const r = await run([header({ row: 3 })], statement(text));
    expect((await r.sheets())['Statement']).toEqual({ columns: ['Booking date', 'Amount'], rows: [[day('2024-01-02'), -3.5]] });
  });

  it('fails with HEADER_NOT_FOUND naming the sheet when the row is past the sheet\'s end', async () => {
    const err = await failure(run([header({ row: 40 }), { type: 'filter', params: { where: { column: 'Amount', op: 'lt', value: 0 } } }], statement()));
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'HEADER_NOT_FOUND', step: 0, message: 'sheet "Statement" has no header at row 40: the sheet ends before it (its last row with a value is row 9)' });
    expect(err.steps!.map((s) => s.status)).toEqual(['FAILED', 'SKIPPED']);
    await expect(run([header({ row: 2 })], statement(''))).rejects.toMatchObject({ code: 'HEADER_NOT_FOUND', message: 'sheet "Statement" has no header at row 2: the sheet has no row with a value' });
  });

  it('fails with HEADER_NOT_FOUND when the row named is blank, without reading on', async () => {
    await expect(run([header({ row: 4 })], statement())).rejects.toMatchObject({ code: 'HEADER_NOT_FOUND', step: 0, message: 'sheet "Statement" has no header at row 4: row 4 is blank' });
  });

  it('keeps the rows above the header out of validation: only data rows are checked and quarantined', async () => {
    const text = STATEMENT.replace('Coffee;-3.5', 'Coffee;');
    const r = await run([BY_CONTENT, { type: 'validate', params: { quarantine: 'Rejected', rules: [{ column: 'Amount', check: 'required' }, { column: 'Booking date', check: 'type', type: 'date' }] } }], statement(text));
    const sheets = await r.sheets();
    expect(sheets['Rejected']).toEqual({ columns: [...COLUMNS, 'reasons'], rows: [[day('2024-01-02'), day('2024-01-02'), 'Coffee', null, 'Amount: is required']] });
    expect(sheets['Statement']!.rows).toEqual([DATA[1], DATA[2]]);
    expect(r.result.steps[1]).toMatchObject({ rowsIn: 3, rowsOut: 2 });
  });

  it('leaves the columns a clean cast reads as text from the header it finds, not from the title', async () => {
    // 1.000 is a thousand only if the reader leaves Betrag as the bank wrote it (StepModule.textColumns).
    const text = 'Kontoauszug\nZeitraum;01.12.2026 - 31.12.2026\n\nBuchungstag;Betrag\n31.12.2026;1.234,56\n01.12.2026;1.000\n';
    const steps: StepSpec[] = [
      header({ find: { values: ['Buchungstag', 'Betrag'] } }),
      { type: 'clean', params: { columns: ['Betrag'], cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } },
      { type: 'clean', params: { columns: ['Buchungstag'], cast: 'date', dateFormat: 'DD.MM.YYYY' } },
    ];
    const r = await run(steps, statement(text));
    expect((await r.sheets())['Statement']).toEqual({ columns: ['Buchungstag', 'Betrag'], rows: [[day('2026-12-31'), 1234.56], [day('2026-12-01'), 1000]] });
  });

  it('keeps the csv reader\'s bound on a row of empty fields while it looks for the header\'s delimiter', async () => {
    // 64 MiB of commas in one buffer (the head the reader sniffs from is the source's first chunk, whatever its
    // size): split into cells to look for the header, they were 64 million fields per delimiter tried.
    const bytes = Buffer.alloc(64 * 1024 * 1024, ',');
    bytes.write('Title\n1', 0);
    const before = process.memoryUsage().heapUsed;
    await expect(run([header({ find: { values: ['Booking date'] } })], bytesInput('Big.csv', bytes))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('reads a lookup table of another file from its own header', async () => {
    const rates = 'Exchange rates\nas of 2024-01-31\nCurrency,Rate\nEUR,1\nUSD,0.92\n';
    const orders = 'id,currency\n1,USD\n2,EUR\n';
    const lookup: StepSpec = { type: 'lookup', params: { from: { file: 'rates' }, on: [{ left: 'currency', right: 'Currency' }], columns: [{ column: 'Rate' }] } };
    const files = { rates: csv(rates, 'rates.csv') };
    const r = await run([header({ file: 'rates', row: 3 }), lookup], csv(orders, 'Orders.csv'), { files });
    expect((await r.sheets())['Orders']!.rows).toEqual([[1, 'USD', 0.92], [2, 'EUR', 1]]);
    const err = await failure(run([header({ file: 'rates', row: 9 }), lookup], csv(orders, 'Orders.csv'), { files }));
    expect(err).toMatchObject({ code: 'HEADER_NOT_FOUND', step: 0, message: expect.stringContaining('sheet "rates" of file "rates" has no header at row 9') });
  });
});

const STYLES = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>`;
const SST = `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>ACME GmbH - Open items</t></si><si><t>Invoice</t></si><si><t>Amount</t></si></sst>`;
const str = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

/**
 * An ERP report: a logo row (an image, so a row of a styled empty cell), the report's name in shared strings,
 * a run date, row 5 missing from the XML, the header at row 6 (one header cell a number), data from row 7
 * with a gap, and a row without `r` (row 11, after 10).
 */
const REPORT_ROWS =
  '<row r="1" ht="40" customHeight="1"><c r="A1" s="1"/></row>' +
  '<row r="2"><c r="A2" t="s"><v>0</v></c></row>' +
  `<row r="3">${str('A3', 'Run on')}<c r="B3" s="1"><v>45322</v></c></row>` +
  '<row r="4"/>' +
  `<row r="6" spans="1:3">${str('A6', ' Invoice ')}<c r="B6" t="s"><v>2</v></c><c r="C6"><v>2024</v></c></row>` +
  `<row r="7">${str('A7', 'INV-1')}<c r="B7"><v>100</v></c><c r="C7"><v>1</v></c></row>` +
  `<row r="10">${str('A10', 'INV-2')}<c r="B10"><v>250.5</v></c></row>` +
  `<row>${str('A11', 'INV-3')}<c r="B11"><v>-20</v></c></row>`;
const report = async () => bytesInput('Report.xlsx', await buildXlsx({ sheets: [{ name: 'Open items', xml: sheetXml(REPORT_ROWS) }, { name: 'Notes', xml: sheetXml(`<row r="1">${str('A1', 'note')}</row><row r="2">${str('A2', 'hi')}</row>`) }], sharedStrings: SST, styles: STYLES }));
const REPORT = { columns: ['Invoice', 'Amount', '2024'], rows: [['INV-1', 100, 1], ['INV-2', 250.5, null], ['INV-3', -20, null]] };

describe('header_row on an xlsx', () => {
  it('takes the header from its row number (the row\'s r), rows missing from the XML counted', async () => {
    const r = await run([header({ sheet: 'Open items', row: 6 })], await report());
    const sheets = await r.sheets();
    expect(sheets['Open items']).toEqual(REPORT);
    expect(sheets['Notes']).toEqual({ columns: ['note'], rows: [['hi']] });
    expect(r.result.steps[0]).toMatchObject({ rowsIn: 5, rowsOut: 3 });
    expect(r.result.logs).toContainEqual(expect.objectContaining({ message: 'sheet "Open items": header at row 6, 2 rows above it left out' }));
  });

  it('finds the header by its cells, a shared string, an inline string padded with spaces and a number among them', async () => {
    const r = await run([header({ sheet: 'Open items', find: { values: ['invoice', 'AMOUNT', '2024'], caseInsensitive: true } }), { type: 'filter', params: { sheet: 'Open items', where: { column: 'Amount', op: 'gt', value: 0 } } }], await report());
    expect((await r.sheets())['Open items']).toEqual({ columns: REPORT.columns, rows: REPORT.rows.slice(0, 2) });
  });

  it('numbers a row without r as the one after the row before', async () => {
    const xml = sheetXml(`<row r="3">${str('A3', 'title')}</row><row r="4"/><row>${str('A5', 'k')}</row><row>${str('A6', 'v')}</row>`);
    const input = bytesInput('t.xlsx', await buildXlsx({ sheets: [{ name: 'S', xml }] }));
    expect((await (await run([header({ row: 5 })], input)).sheets())['S']).toEqual({ columns: ['k'], rows: [['v']] });
  });

  it('fails with HEADER_NOT_FOUND for a row missing from the XML, a blank one, one past the end, or no match', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ row: 5 }, 'sheet "Open items" has no header at row 5: row 5 is blank'],
      [{ row: 1 }, 'sheet "Open items" has no header at row 1: row 1 is blank'],
      [{ row: 12 }, 'sheet "Open items" has no header at row 12: the sheet ends before it (its last row with a value is row 11)'],
      [{ find: { values: ['Customer', 'Total'], caseInsensitive: true } }, 'sheet "Open items" has no header: no row has cells equal to "Customer", "Total" (letter case ignored, spaces around a cell ignored; 6 rows with a value searched)'],
    ];
    for (const [params, message] of cases) {
      const err = await failure(run([{ type: 'sort', params: { sheet: 'Notes', by: [{ column: 'note' }] } }, header({ sheet: 'Open items', ...params })], await report()));
      expect(err).toMatchObject({ code: 'HEADER_NOT_FOUND', step: 1, message });
    }
  });
});

describe('header_row in a workflow', () => {
  it('previews the sheet as read from its header: the preview\'s limit counts data rows only', async () => {
    const p = await previewWorkflow({ steps: [BY_CONTENT, { type: 'filter', params: { where: { column: 'Amount', op: 'lt', value: 0 } } }], input: statement(), limit: 2 });
    expect(p.steps).toEqual([
      { index: 0, type: 'header_row', rowsIn: 5, rowsOut: 2, sheets: { Statement: { columns: COLUMNS, rows: DATA.slice(0, 2) } } },
      { index: 1, type: 'filter', rowsIn: 2, rowsOut: 1, sheets: { Statement: { columns: COLUMNS, rows: [DATA[0]] } } },
    ]);
    const xlsx = await previewWorkflow({ steps: [header({ sheet: 'Open items', row: 6 })], input: await report(), limit: 10 });
    expect(xlsx.steps[0]!.sheets).toEqual({ 'Open items': REPORT });
  });

  it('fails a preview with HEADER_NOT_FOUND as a run does', async () => {
    await expect(previewWorkflow({ steps: [header({ row: 99 })], input: statement(), limit: 5 })).rejects.toMatchObject({ code: 'HEADER_NOT_FOUND', step: 0 });
  });

  it('must come before the steps that read or write its sheet, once per sheet, and name a sheet of the input', async () => {
    const filter: StepSpec = { type: 'filter', params: { where: { column: 'Amount', op: 'lt', value: 0 } } };
    await expect(run([filter, header({ row: 5 })], statement())).rejects.toMatchObject({
      code: 'INVALID_STEPS', step: 1, message: 'a header_row step must come before the steps that read or write sheet "Statement"',
    });
    await expect(run([{ type: 'compute_column', params: { sheet: 'Notes', into: 'Open items', column: 'x', expression: '1' } }, header({ sheet: 'Open items', row: 6 })], await report()))
      .rejects.toMatchObject({ code: 'INVALID_STEPS', step: 1 });
    await expect(run([header({ row: 5 }), header({ sheet: 'Statement', find: { values: ['Text'] } })], statement())).rejects.toMatchObject({
      code: 'INVALID_STEPS', step: 1, message: 'step 0 already says where the header of sheet "Statement" is',
    });
    await expect(run([header({ sheet: 'Nope', row: 5 })], statement())).rejects.toMatchObject({ code: 'SHEET_NOT_FOUND', step: 0 });
    await expect(run([header({ file: 'nope', row: 5 })], statement())).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', step: 0 });
  });

  it('validates its params: one of row and find, a row number from 1, values that can match', () => {
    expect(validateSteps([header({ row: 5 }), header({ sheet: 'B', find: { values: ['Date'], caseInsensitive: true, trim: false } })])).toEqual([]);
    expect(validateSteps([header({})])).toEqual([
      expect.objectContaining({ path: 'steps[0].params.row', code: 'REQUIRED' }),
      expect.objectContaining({ path: 'steps[0].params.find', code: 'REQUIRED' }),
    ]);
    expect(validateSteps([header({ row: 5, find: { values: ['Date'] } })])).toEqual([{ path: 'steps[0].params.find', code: 'INVALID_VALUE', message: 'give row or find, not both' }]);
    expect(validateSteps([header({ row: 0 }), header({ row: 2.5 }), header({ find: { values: [] } }), header({ find: { values: ['  '] } })])).toEqual([
      expect.objectContaining({ path: 'steps[0].params.row' }),
      expect.objectContaining({ path: 'steps[1].params.row' }),
      expect.objectContaining({ path: 'steps[2].params.find.values' }),
      expect.objectContaining({ path: 'steps[3].params.find.values[0]', code: 'INVALID_VALUE' }),
    ]);
    expect(validateSteps([header({ row: 5 }), header({ find: { values: ['Date'] } }), header({ sheet: 'B', row: 1 })])).toEqual([
      { path: 'steps[1].params.find', code: 'INVALID_VALUE', message: 'step 0 already says where this sheet\'s header is' },
    ]);
  });

  it('is served by ruleTypes with its JSON Schema', () => {
    const t = ruleTypes().find((x) => x.type === 'header_row')!;
    expect(t).toMatchObject({ title: 'Header row', description: expect.stringContaining('HEADER_NOT_FOUND') });
    expect(t.paramsSchema).toMatchObject({ type: 'object', additionalProperties: false, anyOf: [{ required: ['row'] }, { required: ['find'] }] });
    expect(Object.keys((t.paramsSchema as { properties: object }).properties)).toEqual(['sheet', 'file', 'row', 'find']);
  });
});
