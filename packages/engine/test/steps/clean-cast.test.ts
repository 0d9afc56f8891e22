import { describe, expect, it } from 'vitest';
import { previewWorkflow, ruleTypes, validateSteps, type StepSpec } from '../../src/index.js';
import { bytesInput, csv, run } from '../helpers.js';
import { buildXlsx, sheetXml } from '../xlsx-builder.js';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** A German bank's export: ";" between cells, 1.234,56 for amounts, 31.12.2026 for dates. */
const GERMAN_BANK = [
  'Buchungstag;Betrag;Kategorie;Menge',
  '31.12.2026;1.234,56;Miete;1.000',
  '01.12.2026;1.000;Miete;2',
  '15.11.2026;-12,50;Bank;3',
  '02.01.2027;99,00;Bank;4',
  '30.06.2026;1.23;Bank;5',
  '31.02.2026;5,00;Bank;6',
].join('\n');

const GERMAN_AMOUNTS = { type: 'clean', params: { columns: ['Betrag'], cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } };
const GERMAN_DATES = { type: 'clean', params: { columns: ['Buchungstag'], cast: 'date', dateFormat: 'DD.MM.YYYY' } };

describe('clean: casting numbers and dates as bank exports write them', () => {
  it('runs a German bank csv through the casts, a date filter and a sum into xlsx and csv artifacts', async () => {
    const steps: StepSpec[] = [
      GERMAN_AMOUNTS,
      GERMAN_DATES,
      { type: 'filter', params: { where: { column: 'Buchungstag', op: 'between', value: ['2026-01-01', '2026-12-31'] } } },
      { type: 'aggregate', params: { into: 'Summe', groupBy: ['Kategorie'], measures: [{ column: 'Betrag', fn: 'sum', as: 'Betrag' }, { fn: 'count', as: 'n' }] } },
      { type: 'output', params: { artifacts: [{ name: 'report.xlsx', sheets: [{ from: 'Sales', as: 'Buchungen' }, { from: 'Summe' }] }, { name: 'summe.csv', format: 'csv', sheets: [{ from: 'Summe' }] }] } },
    ];
    const r = await run(steps, csv(GERMAN_BANK));
    // 1.000 is a thousand (the reader alone would have typed the number 1); 1.23 is no grouping: a cast error, not 123.
    expect(r.text('summe.csv')).toBe('Kategorie,Betrag,n\r\nMiete,2234.56,2\r\nBank,-12.5,2\r\n');
    const xlsx = await r.sheets('report.xlsx');
    expect(xlsx['Buchungen']!.rows).toEqual([
      [day('2026-12-31'), 1234.56, 'Miete', 1],
      [day('2026-12-01'), 1000, 'Miete', 2],
      [day('2026-11-15'), -12.5, 'Bank', 3],
      [day('2026-06-30'), null, 'Bank', 5],
    ]);
    expect(xlsx['Summe']!.rows).toEqual([['Miete', 2234.56, 2], ['Bank', -12.5, 2]]);
    expect(r.result.steps.map((s) => s.warnings ?? 0)).toEqual([1, 1, 0, 0, 0]);
    expect(r.result.logs).toEqual(expect.arrayContaining([
      { level: 'warn', step: 0, message: '1 values could not be cast to number; the first, "1.23", does not group its digits in threes between thousands separators "."' },
      { level: 'warn', step: 1, message: '1 values could not be cast to date; the first, "31.02.2026", is not a date' },
    ]));
  });

  it('reads the cells of a csv column cast with a format as the file wrote them, for every step, and only those', async () => {
    const steps: StepSpec[] = [
      { type: 'output', params: { artifacts: [{ name: 'raw.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
      GERMAN_AMOUNTS,
      { type: 'output', params: { artifacts: [{ name: 'cast.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
    ];
    const r = await run(steps, csv('Betrag;Menge\n1.000;1.000\n2.500,5;1.50\n'));
    // Menge is not cast with a format: the reader types it as always (1.000 is 1, 1.50 is 1.5).
    expect(r.text('raw.csv')).toBe('Betrag,Menge\r\n1.000,1\r\n"2.500,5",1.5\r\n');
    expect(r.text('cast.csv')).toBe('Betrag,Menge\r\n1000,1\r\n2500.5,1.5\r\n');
    // Without columns, every column is cast, so every column is read as written.
    const all = await run([{ type: 'clean', params: { cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } }], csv('Betrag;Menge\n1.000;1.000\n'));
    expect((await all.sheets())['Sales']!.rows).toEqual([[1000, 1000]]);
    // The plain cast, with no format, is what it always was.
    const plain = await run([{ type: 'clean', params: { columns: ['Menge'], cast: 'number' } }, GERMAN_AMOUNTS], csv('Betrag;Menge\n1.000;1.000\n1,5;1 200\n'));
    expect((await plain.sheets())['Sales']!.rows).toEqual([[1000, 1], [1.5, 1200]]);
  });

  it('leaves a csv typed as always for a format with a decimal point, which the reader cannot mistake (steps before the clean see numbers)', async () => {
    const US_AMOUNTS = { type: 'clean', params: { columns: ['Amount'], cast: 'number', thousandsSeparator: ',' } };
    const steps: StepSpec[] = [
      { type: 'aggregate', params: { into: 'Before', groupBy: ['k'], measures: [{ column: 'Amount', fn: 'max', as: 'max' }] } },
      US_AMOUNTS,
      { type: 'aggregate', params: { into: 'After', groupBy: ['k'], measures: [{ column: 'Amount', fn: 'sum', as: 'sum' }] } },
    ];
    const r = await run(steps, csv('k;Amount\na;99\na;1200.5\na;$1,234.00\n'));
    const sheets = await r.sheets();
    // 99 and 1200.5 are numbers to the first aggregate (as text, the max would be "99"); "$1,234.00" is text to it.
    expect(sheets['Before']!.rows).toEqual([['a', 1200.5]]);
    expect(sheets['After']!.rows).toEqual([['a', 2533.5]]);
    // A date format reads the file's text as written (an ISO-looking value read by another pattern would be typed as ISO).
    const dates = await run([{ type: 'clean', params: { columns: ['d'], cast: 'date', dateFormat: 'YYYY-DD-MM' } }], csv('d\n2026-05-12\n'));
    expect((await dates.sheets())['Sales']!.rows).toEqual([[day('2026-12-05')]]);
  });

  it('leaves as text only the csv files whose rows reach the clean: a lookup file joined after it is typed as always', async () => {
    const PRICES = 'sku;Betrag;gueltig\nA;10.5;2026-12-31\nB;1.000;2027-01-02\n';
    const ORDERS = 'sku;Betrag\nA;1.000\nB;2,5\n';
    const join = { type: 'lookup', params: { from: { file: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'Betrag', as: 'Preis' }, { column: 'gueltig' }] } };
    // The clean casts the input's Betrag; the price list, joined after it, is another file with its own typing.
    const r = await run([GERMAN_AMOUNTS, join], csv(ORDERS), { files: { prices: csv(PRICES, 'prices.csv') } });
    expect((await r.sheets())['Sales']!.rows).toEqual([['A', 1000, 10.5, day('2026-12-31')], ['B', 2.5, 1, day('2027-01-02')]]);
    // An xlsx input: no csv the clean reads at all, and the price list is typed as always.
    const rows =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>Betrag</t></is></c></row>' +
      '<row r="2"><c r="A2"><v>7</v></c><c r="B2" t="inlineStr"><is><t>1.000,5</t></is></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'Data', xml: sheetXml(rows) }] });
    const x = await run([{ type: 'clean', params: { cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } }, join], bytesInput('in.xlsx', xlsx), { files: { prices: csv('sku;Betrag;gueltig\n7;10.5;2026-12-31\n', 'prices.csv') } });
    expect((await x.sheets())['Data']!.rows).toEqual([[7, 1000.5, 10.5, day('2026-12-31')]]);
    // A clean after the join reads the price list's rows: that file's Betrag is read as written, and 1.000 is a thousand.
    const joinAll = { type: 'lookup', params: { from: { file: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'Betrag' }] } };
    const after = await run([joinAll, GERMAN_AMOUNTS], csv('sku;Menge\nA;1\nB;2\n'), { files: { prices: csv(PRICES, 'prices.csv') } });
    expect((await after.sheets())['Sales']!.rows).toEqual([['A', 1, null], ['B', 2, 1000]]);
  });

  it('reads a US export: $, parentheses for negatives, M/D/YYYY, and shows it in the preview', async () => {
    const US = 'Date,Description,Amount\n12/31/2026,Rent,"($1,234.56)"\n1/5/2027,Refund,"$1,234.56"\n01/15/2027,Fee,$(12.00)\n2/3/2027,Interest,"$1,000"\n';
    const steps: StepSpec[] = [
      { type: 'clean', params: { columns: ['Amount'], cast: 'number', decimalSeparator: '.', thousandsSeparator: ',', onCastError: 'fail' } },
      { type: 'clean', params: { columns: ['Date'], cast: 'date', dateFormat: 'M/D/YYYY', onCastError: 'fail' } },
      { type: 'filter', params: { where: { column: 'Date', op: 'gte', value: '2027-01-01' } } },
      { type: 'aggregate', params: { into: 'Total', groupBy: [], measures: [{ column: 'Amount', fn: 'sum', as: 'total' }] } },
      { type: 'output', params: { artifacts: [{ name: 'total.csv', format: 'csv', sheets: [{ from: 'Total' }] }] } },
    ];
    const r = await run(steps, csv(US));
    expect(r.text('total.csv')).toBe('total\r\n2222.56\r\n');
    const p = await previewWorkflow({ steps, input: csv(US), limit: 10 });
    expect(p.steps[1]!.sheets['Sales']!.rows).toEqual([
      [day('2026-12-31'), 'Rent', -1234.56],
      [day('2027-01-05'), 'Refund', 1234.56],
      [day('2027-01-15'), 'Fee', -12],
      [day('2027-02-03'), 'Interest', 1000],
    ]);
    expect(p.steps[3]!.sheets['Total']).toEqual({ columns: ['total'], rows: [[2222.56]] });
  });

  it('fails the run at the step on a cast error when asked, saying why', async () => {
    await expect(run([{ type: 'clean', params: { ...GERMAN_AMOUNTS.params, onCastError: 'fail' } }], csv(GERMAN_BANK))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      step: 0,
      message: 'cannot cast "1.23" to number: it does not group its digits in threes between thousands separators "."',
    });
    await expect(run([{ type: 'clean', params: { ...GERMAN_DATES.params, onCastError: 'fail' } }], csv(GERMAN_BANK))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'cannot cast "31.02.2026" to date: it is not a date',
    });
  });

  it('keeps a cast error as the text it was with onCastError keep', async () => {
    const r = await run([{ type: 'clean', params: { ...GERMAN_AMOUNTS.params, onCastError: 'keep' } }], csv(GERMAN_BANK));
    expect((await r.sheets())['Sales']!.rows.map((x) => x[1])).toEqual([1234.56, 1000, -12.5, 99, '1.23', 5]);
  });

  it('reads SAP trailing minus signs, percentages, and one currency per column', async () => {
    const input = 'a;b;c\n1.234,56-;12,5 %;1.234,56 €\n7,00 €;-3 %;USD 5,00\n100 $;1,5%;EUR 1,00\n';
    const r = await run([{ type: 'clean', params: { cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } }], csv(input));
    // The second currency of a column is a cast error: a sum of euros and dollars is no amount.
    expect((await r.sheets())['Sales']!.rows).toEqual([[-1234.56, 0.125, 1234.56], [7, -0.03, null], [null, 0.015, null]]);
    expect(r.result.steps[0]!.warnings).toBe(3);
    expect(r.result.logs).toContainEqual({ level: 'warn', step: 0, message: '3 values could not be cast to number; the first, "USD 5,00", is in USD, but column "c" is in €, the first currency it showed (one currency per column)' });
  });

  it('keeps the numbers and dates of an xlsx as they are, and reads its text and YYYYMMDD numbers with the format', async () => {
    const rows =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>amount</t></is></c><c r="B1" t="inlineStr"><is><t>booked</t></is></c><c r="C1" t="inlineStr"><is><t>due</t></is></c></row>' +
      '<row r="2"><c r="A2"><v>1.234</v></c><c r="B2"><v>20261231</v></c><c r="C2"><v>45300</v></c></row>' +
      '<row r="3"><c r="A3" t="inlineStr"><is><t>1.234,5</t></is></c><c r="B3" t="inlineStr"><is><t>20270101</t></is></c><c r="C3" t="inlineStr"><is><t>31.12.2026</t></is></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'Data', xml: sheetXml(rows) }] });
    const r = await run(
      [
        { type: 'clean', params: { columns: ['amount'], cast: 'number', decimalSeparator: ',', thousandsSeparator: '.' } },
        { type: 'clean', params: { columns: ['booked'], cast: 'date', dateFormat: 'YYYYMMDD' } },
        { type: 'clean', params: { columns: ['due'], cast: 'date', dateFormat: 'DD.MM.YYYY' } },
      ],
      bytesInput('in.xlsx', xlsx),
    );
    // A number cell is Excel's number (1.234 is 1.234); with a pattern of digits only it is those digits; else a serial.
    expect((await r.sheets())['Data']!.rows).toEqual([[1.234, day('2026-12-31'), day('2024-01-09')], [1234.5, day('2027-01-01'), day('2026-12-31')]]);
  });
});

describe('clean: a number cell read as an Excel serial', () => {
  it('refuses a serial past the years 0 to 9999, with a format as without one', async () => {
    const rows =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c><c r="B1" t="inlineStr"><is><t>formatted</t></is></c><c r="C1" t="inlineStr"><is><t>n</t></is></c></row>' +
      '<row r="2"><c r="A2"><v>2958465</v></c><c r="B2"><v>2958465</v></c><c r="C2"><v>1</v></c></row><row r="3"><c r="A3"><v>2958466</v></c><c r="B3"><v>1E+300</v></c><c r="C3"><v>2</v></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'Data', xml: sheetXml(rows) }] });
    const r = await run(
      [
        { type: 'clean', params: { columns: ['plain'], cast: 'date' } },
        { type: 'clean', params: { columns: ['formatted'], cast: 'date', dateFormat: 'DD.MM.YYYY' } },
      ],
      bytesInput('in.xlsx', xlsx),
    );
    expect((await r.sheets())['Data']!.rows).toEqual([[day('9999-12-31'), day('9999-12-31'), 1], [null, null, 2]]);
    expect(r.result.logs).toContainEqual({ level: 'warn', step: 1, message: '1 values could not be cast to date; the first, "1e+300", is not a date of the years 0 to 9999' });
  });
});

describe('clean: one currency per column', () => {
  const US_AMOUNTS = { cast: 'number', thousandsSeparator: ',' };

  it('casts the first currency a column shows and names the column and both currencies for another', async () => {
    const r = await run([{ type: 'clean', params: US_AMOUNTS }], csv('price,fee\n$1.00,3\n€2.00,€1.50\n3.00,$4\n'));
    // Each column its own: fee's first currency is €, so its $4 is refused.
    expect((await r.sheets())['Sales']!.rows).toEqual([[1, 3], [null, 1.5], [3, null]]);
    expect(r.result.logs).toContainEqual({ level: 'warn', step: 0, message: '2 values could not be cast to number; the first, "€2.00", is in €, but column "price" is in $, the first currency it showed (one currency per column)' });
    await expect(run([{ type: 'clean', params: { ...US_AMOUNTS, onCastError: 'fail' } }], csv('price\n$1.00\n€2.00\n'))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      step: 0,
      message: 'cannot cast "€2.00" to number: it is in €, but column "price" is in $, the first currency it showed (one currency per column)',
    });
  });

  it('takes whichever currency comes first: euros then dollars refuses the dollars', async () => {
    await expect(run([{ type: 'clean', params: { ...US_AMOUNTS, columns: ['price'], onCastError: 'fail' } }], csv('price\n2.00\n€2.00\n$1.00\n'))).rejects.toMatchObject({
      message: 'cannot cast "$1.00" to number: it is in $, but column "price" is in €, the first currency it showed (one currency per column)',
    });
  });
});

describe('clean: a number cell read by a pattern of digits only', () => {
  const numbers = (column: string, values: number[]) =>
    buildXlsx({
      sheets: [{
        name: 'Data',
        xml: sheetXml(
          `<row r="1"><c r="A1" t="inlineStr"><is><t>${column}</t></is></c><c r="B1" t="inlineStr"><is><t>n</t></is></c></row>` +
            values.map((v, i) => `<row r="${i + 2}"><c r="A${i + 2}"><v>${v}</v></c><c r="B${i + 2}"><v>${i + 1}</v></c></row>`).join(''),
        ),
      }],
    });
  const cast = async (dateFormat: string, values: number[], onCastError?: 'fail') =>
    run([{ type: 'clean', params: { columns: ['d'], cast: 'date', dateFormat, ...(onCastError ? { onCastError } : {}) } }], bytesInput('in.xlsx', await numbers('d', values)));

  it('refuses a number with fewer digits than a pattern that starts with a four-digit year, rather than reading 991231 as the year 99', async () => {
    const r = await cast('YYYYMMDD', [20261231, 991231, 1231]);
    expect((await r.sheets())['Data']!.rows).toEqual([[day('2026-12-31'), 1], [null, 2], [null, 3]]);
    expect(r.result.logs).toContainEqual({ level: 'warn', step: 0, message: '2 values could not be cast to date; the first, "991231", has 6 digits, and YYYYMMDD has 8' });
    await expect(cast('YYYYMMDD', [991231], 'fail')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: 'cannot cast "991231" to date: it has 6 digits, and YYYYMMDD has 8' });
  });

  it('still restores the zeros in front that a number cell drops from a day, a month or a two-digit year', async () => {
    // 01.01.2026 and 2001-01-01 as number cells: Excel shows 01012026 as 1012026.
    expect((await (await cast('DDMMYYYY', [1012026, 31122026])).sheets())['Data']!.rows).toEqual([[day('2026-01-01'), 1], [day('2026-12-31'), 2]]);
    expect((await (await cast('MMDDYYYY', [1312026])).sheets())['Data']!.rows).toEqual([[day('2026-01-31'), 1]]);
    expect((await (await cast('YYMMDD', [10101, 991231])).sheets())['Data']!.rows).toEqual([[day('2001-01-01'), 1], [day('1999-12-31'), 2]]);
  });
});

describe('clean: dates of the years 0000 to 0099', () => {
  it('casts ISO text of those years to the year written, with no format as with one, and a filter reads its value alike', async () => {
    const rows =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c><c r="B1" t="inlineStr"><is><t>formatted</t></is></c></row>' +
      '<row r="2"><c r="A2" t="inlineStr"><is><t>0099-12-31</t></is></c><c r="B2" t="inlineStr"><is><t>0099-12-31</t></is></c></row>';
    const xlsx = await buildXlsx({ sheets: [{ name: 'Data', xml: sheetXml(rows) }] });
    const r = await run(
      [
        { type: 'clean', params: { columns: ['plain'], cast: 'date' } },
        { type: 'clean', params: { columns: ['formatted'], cast: 'date', dateFormat: 'YYYY-MM-DD' } },
        { type: 'filter', params: { where: { column: 'plain', op: 'eq', value: '0099-12-31' } } },
        { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Data' }] }] } },
      ],
      bytesInput('in.xlsx', xlsx),
    );
    expect(r.text('out.csv')).toBe('plain,formatted\r\n0099-12-31,0099-12-31\r\n');
  });

  it('reads the year 0000 with a YYYY pattern, as the csv reader reads it in ISO text', async () => {
    const r = await run(
      [
        { type: 'clean', params: { columns: ['formatted'], cast: 'date', dateFormat: 'DD.MM.YYYY', onCastError: 'fail' } },
        { type: 'filter', params: { where: { expression: 'iso == formatted' } } },
        { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
      ],
      csv('iso,formatted\n0000-12-31,31.12.0000\n'),
    );
    expect(r.text('out.csv')).toBe('iso,formatted\r\n0000-12-31,0000-12-31\r\n');
  });
});

describe('clean: the cast params as validateSteps and ruleTypes state them', () => {
  const clean = (params: Record<string, unknown>) => validateSteps([{ type: 'clean', params: { columns: ['a'], ...params } }]);

  it('accepts every separator and a date format with their cast', () => {
    for (const t of [',', '.', ' ', '\u00a0', '\u202f', "'", '\u2019']) {
      const decimal = t === ',' ? '.' : ',';
      expect(clean({ cast: 'number', decimalSeparator: decimal, thousandsSeparator: t }), JSON.stringify(t)).toEqual([]);
    }
    expect(clean({ cast: 'number', decimalSeparator: ',' })).toEqual([]);
    expect(clean({ cast: 'number', thousandsSeparator: ',' })).toEqual([]);
    expect(clean({ cast: 'date', dateFormat: 'DD.MM.YYYY[ HH:mm[:ss]]' })).toEqual([]);
  });

  it('refuses separators without cast "number", and a date format without cast "date", at the param', () => {
    expect(clean({ cast: 'date', decimalSeparator: ',' })).toEqual([{ path: 'steps[0].params.decimalSeparator', code: 'INVALID_VALUE', message: 'applies only with cast "number"' }]);
    expect(clean({ thousandsSeparator: ',' })).toEqual([{ path: 'steps[0].params.thousandsSeparator', code: 'INVALID_VALUE', message: 'applies only with cast "number"' }]);
    expect(clean({ cast: 'number', dateFormat: 'DD.MM.YYYY' })).toEqual([{ path: 'steps[0].params.dateFormat', code: 'INVALID_VALUE', message: 'applies only with cast "date"' }]);
  });

  it('refuses one character for both separators, and "." for thousands without "," for decimals', () => {
    expect(clean({ cast: 'number', decimalSeparator: ',', thousandsSeparator: ',' })).toEqual([{ path: 'steps[0].params.thousandsSeparator', code: 'INVALID_VALUE', message: 'must differ from decimalSeparator ","' }]);
    expect(clean({ cast: 'number', decimalSeparator: '.', thousandsSeparator: '.' })).toEqual([{ path: 'steps[0].params.decimalSeparator', code: 'INVALID_VALUE', message: 'must be "," with thousandsSeparator "."' }]);
    expect(clean({ cast: 'number', thousandsSeparator: '.' })).toEqual([{ path: 'steps[0].params.decimalSeparator', code: 'REQUIRED', message: 'is required with thousandsSeparator ".", and must be ","' }]);
  });

  it('refuses unknown separators and date formats it cannot read, saying why', () => {
    expect(clean({ cast: 'number', decimalSeparator: ';' })).toEqual([{ path: 'steps[0].params.decimalSeparator', code: 'INVALID_VALUE', message: 'must be one of ".", ","' }]);
    // The no-break spaces are escaped: three " " in a row would not tell the user which spaces are allowed.
    expect(clean({ cast: 'number', thousandsSeparator: '_' })).toEqual([
      { path: 'steps[0].params.thousandsSeparator', code: 'INVALID_VALUE', message: 'must be one of ",", ".", " ", "\\u00a0", "\\u202f", "\'", "\u2019"' },
    ]);
    expect(clean({ cast: 'date', dateFormat: 'dd.mm.yyyy' })).toEqual([{ path: 'steps[0].params.dateFormat', code: 'INVALID_VALUE', message: 'has "dd", which is not a field: the day is DD or D' }]);
    expect(clean({ cast: 'date', dateFormat: '' })).toEqual([expect.objectContaining({ path: 'steps[0].params.dateFormat', code: 'INVALID_VALUE' })]);
  });

  it('refuses such steps before a run reads anything', async () => {
    await expect(run([{ type: 'clean', params: { cast: 'date', decimalSeparator: ',' } }], csv(GERMAN_BANK))).rejects.toMatchObject({
      code: 'INVALID_STEPS',
      issues: [{ path: 'steps[0].params.decimalSeparator', code: 'INVALID_VALUE', message: 'applies only with cast "number"' }],
    });
  });

  it('serves the params and the rules between them in the JSON Schema', () => {
    const schema = ruleTypes().find((t) => t.type === 'clean')!.paramsSchema as { properties: Record<string, unknown>; allOf: unknown[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['cast', 'decimalSeparator', 'thousandsSeparator', 'dateFormat', 'onCastError']));
    expect(schema.allOf).toHaveLength(4);
  });
});
