import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INSPECT_LIMITS } from '../src/inspect/index.js';
import { TOO_BIG_TO_OPEN, TOO_SLOW_TO_OPEN } from '../src/inspect/sandbox.js';
import { FILE_FIELDS, TENANT_A, startFiles, upload, type Files } from './support/harness.js';
import { handMadeXlsx, PDF, salesWorkbook, SHEET_XML, WORKBOOK_XML, zipOf } from './support/fixtures.js';
import {
  compressibleBytes, declareSize, deflateRatio, OLD_XLS, repeatedRows, SHARED_HEADER_ROWS, SHARED_STRINGS, storedZip, workbookParts, workbookWith,
} from './support/hostile.js';

// Every crafted file here is refused (or defused) with a reason for the person who uploaded it, and
// afterwards the service is still healthy and still takes a normal upload.
const A = { tenant: TENANT_A };
const MiB = 1024 * 1024;
let files: Files;
/** The same service with a small inspection sandbox: 48 MiB of heap per inspection. */
let tight: Files;
let hits: string[];
let outbound: http.Server;
let outboundUrl: string;

beforeAll(async () => {
  files = await startFiles();
  tight = await startFiles({ inspectLimits: { ...INSPECT_LIMITS, sandbox: { ...INSPECT_LIMITS.sandbox, maxMemoryMb: 48 } } });
  hits = [];
  outbound = http.createServer((req, res) => { hits.push(req.url ?? ''); res.end('<!ENTITY x "fetched">'); });
  await new Promise<void>((resolve) => outbound.listen(0, '127.0.0.1', resolve));
  outboundUrl = `http://127.0.0.1:${(outbound.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await files?.stop();
  await tight?.stop();
  await new Promise((resolve) => outbound?.close(resolve));
});
afterEach(async () => {
  for (const service of [files, tight]) {
    expect(await service.healthy()).toBe(true);
    const normal = await upload(service, A, 'normal.xlsx', await salesWorkbook());
    expect(normal.body.file?.status).toBe('READY');
  }
});

const refusal = async (service: Files, name: string, bytes: Buffer) => {
  const put = await upload(service, A, name, bytes);
  expect(put.status).toBe(415);
  expect(put.body.error.code).toBe('UNSUPPORTED_FILE');
  const file = (await service.gql(`query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id: put.id }, A)).data?.file;
  expect(file).toMatchObject({ status: 'REJECTED', rejectionReason: put.body.error.message, downloadUrl: null });
  expect(await service.storedFiles()).not.toContain(`${TENANT_A}/files/${put.id}`);
  return put.body.error.message;
};

describe('zip bombs', () => {
  it('refuses a tiny file whose sheet1.xml inflates to 48 MiB, within a 48 MiB inspection heap', async () => {
    const bomb = await workbookWith({ sheetRows: SHARED_HEADER_ROWS + repeatedRows('<row><c><v>0</v></c></row>', 48 * MiB / 26) });
    expect(bomb.length).toBeLessThan(MiB);
    expect(await refusal(tight, 'bomb.xlsx', bomb)).toMatch(/zip bomb/);
  });

  it('counts the bytes actually inflated, not what the zip directory claims', async () => {
    const honest = await workbookWith({ sheetRows: SHARED_HEADER_ROWS + repeatedRows('<row><c><v>0</v></c></row>', 48 * MiB / 26) });
    const compressed = honest.length;
    // Declared as a harmless 2:1 part, it passes every check made on the directory, and inflates anyway.
    const liar = declareSize(honest, 'xl/worksheets/sheet1.xml', compressed * 2);
    expect(await refusal(tight, 'liar.xlsx', liar)).toBe(
      'This workbook\'s part xl/worksheets/sheet1.xml holds more data than the archive declares (a "zip bomb"), so it was not opened',
    );
  });

  it('refuses a large part that inflates more than 100:1', async () => {
    const dense = compressibleBytes(4 * MiB);
    const ratio = deflateRatio(dense);
    expect(ratio).toBeGreaterThan(100);
    expect(ratio).toBeLessThan(200);
    expect(await refusal(files, 'dense.xlsx', await workbookWith({ extra: { 'xl/media/image1.bin': dense } }))).toMatch(/zip bomb/);
  });

  it('refuses a zip of more than 10,000 entries', async () => {
    const parts = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`xl/media/p${i}.txt`, 'x']));
    expect(await refusal(files, 'many.xlsx', storedZip({ ...workbookParts(), ...parts }))).toBe('This workbook has more than 10000 parts, which is not allowed');
  });
});

describe('nested archives', () => {
  it('refuses a sheet that is itself a ZIP archive', async () => {
    const inner = await zipOf({ 'sheet1.xml': '<worksheet/>' });
    expect(await refusal(files, 'nested.xlsx', await workbookWith({ sheet: inner }))).toBe(
      'This workbook\'s sheet "Data" is itself a ZIP archive; archives inside workbooks are not opened',
    );
  });

  it('never opens an archive embedded in a workbook, even a bomb', async () => {
    const innerBomb = await zipOf({ 'zeros.bin': Buffer.alloc(64 * MiB) });
    const put = await upload(tight, A, 'embedded.xlsx', await workbookWith({ extra: { 'xl/embeddings/inner.zip': innerBomb } }));
    expect(put.body.file?.status).toBe('READY');
  });
});

describe('XML', () => {
  const ENTITY_BOMB = '<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
  const external = (path: string) => `<!DOCTYPE x [<!ENTITY xxe SYSTEM "${outboundUrl}${path}"><!ENTITY % p SYSTEM "${outboundUrl}${path}-dtd"> %p;]>`;

  it('never expands an entity bomb in a sheet or in the shared strings', async () => {
    expect(await refusal(files, 'sheet-lol.xlsx', await workbookWith({ sheetProlog: ENTITY_BOMB, sheetRows: '<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>' })))
      .toMatch(/document type declaration/);
    expect(await refusal(files, 'sst-lol.xlsx', await workbookWith({ sharedStrings: SHARED_STRINGS(ENTITY_BOMB, '&c;') })))
      .toMatch(/document type declaration/);
  });

  it('never fetches an external entity from a sheet or the shared strings', async () => {
    const sheet = await workbookWith({ sheetProlog: external('/sheet'), sheetRows: '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>' });
    expect(await refusal(files, 'sheet-xxe.xlsx', sheet)).toMatch(/document type declaration/);
    expect(await refusal(files, 'sst-xxe.xlsx', await workbookWith({ sharedStrings: SHARED_STRINGS(external('/sst'), '&xxe;') })))
      .toMatch(/document type declaration/);
    expect(hits).toEqual([]);
  });
});

describe("Excel's grid", () => {
  it.each([
    ['a cell beyond column XFD', '<row r="1"><c r="XFE1"><v>1</v></c></row>'],
    ['a row beyond 1048576', '<row r="1048577"><c r="A1048577"><v>1</v></c></row>'],
  ])('refuses %s', async (_label, rows) => {
    expect(await refusal(files, 'grid.xlsx', await workbookWith({ sheetRows: rows }))).toBe(
      'This workbook\'s sheet "Data" reaches beyond XFD1048576, the last cell a spreadsheet can have, so it was not opened',
    );
  });

  it('refuses a declared dimension beyond XFD1048576', async () => {
    const sheet = `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048577"/><sheetData>${SHARED_HEADER_ROWS}</sheetData></worksheet>`;
    expect(await refusal(files, 'dim.xlsx', await workbookWith({ sheet }))).toMatch(/beyond XFD1048576/);
  });

  it('refuses more rows than a spreadsheet can hold, counted past the sampled head of the sheet', async () => {
    const rows = Array.from({ length: 1_048_577 }, (_, i) => `<row r="${i + 1}"/>`).join('');
    expect(await refusal(files, 'tall.xlsx', await workbookWith({ sheetRows: rows }))).toBe(
      'This workbook\'s sheet "Data" has more than 1,048,576 rows, more than a spreadsheet can hold, so it was not opened',
    );
  });
});

describe('files the engine could not read: refused at upload, not when a run fails', () => {
  it('refuses a csv whose quoted field is never closed', async () => {
    expect(await refusal(files, 'open.csv', Buffer.from('a,b\n1,2,3,4\n5\n"unterminated,6\n'))).toBe(
      'This CSV file is damaged: a quoted field (starting with ") is never closed, so its rows cannot be read; fix the quotes and upload it again');
  });

  // csv-parse builds a whole record before the engine sees it: 10 MiB of commas took 665 MB of memory in
  // a run, 50 MiB took 2 GB, and one 150 MB cell 800 MB. A row past either limit is refused here instead.
  it('refuses a csv row of more than 16,384 columns, also when it comes after the sampled rows', async () => {
    const reason = 'This CSV file has a row of more than 16,384 columns, more than a spreadsheet can hold, so it was not opened';
    expect(await refusal(files, 'wide.csv', Buffer.from(`a,b\n${'1,2\n'.repeat(200)}${','.repeat(16_384)}\n3,4\n`))).toBe(reason);
    expect(await refusal(files, 'wide-head.csv', Buffer.from(`a,b\n${','.repeat(20_000)}x\n`))).toBe(reason);
    const widest = await upload(files, A, 'widest.csv', Buffer.from(`a,b\n${','.repeat(16_383)}\n`));
    expect(widest.body.file?.status).toBe('READY');
  });

  it('refuses a csv row of more than 8 MiB, quoted or not', async () => {
    const reason = 'This CSV file has a row of more than 8 MiB, far longer than a spreadsheet row, so it was not opened';
    expect(await refusal(files, 'long.csv', Buffer.from(`a,b\n${'1,2\n'.repeat(200)}${'x'.repeat(8 * MiB)},1\n`))).toBe(reason);
    expect(await refusal(files, 'long-quoted.csv', Buffer.from(`a,b\n"${'x\n'.repeat(4 * MiB)}",1\n`))).toBe(reason);
  });

  it('refuses a workbook whose sheet is cut off, within a row or between rows', async () => {
    for (const end of [SHEET_XML.indexOf('<v>1'), SHEET_XML.indexOf('</sheetData>')]) {
      const cut = await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': SHEET_XML.slice(0, end) });
      expect(await refusal(files, 'cut-sheet.xlsx', cut)).toBe(
        'This workbook is damaged: the sheet "Data" is cut off, so its rows cannot all be read; save it again in Excel and upload it again');
    }
  });

  it('accepts a workbook with a chart sheet; its sheets are its worksheets alone, as a run reads them', async () => {
    const workbook = WORKBOOK_XML.replace('</sheets>', '<sheet name="Chart1" sheetId="2" r:id="rId2"/></sheets>');
    const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>`;
    // A chart sheet ends in </chartsheet>, not </worksheet>: it is not a cut-off worksheet.
    const chart = `<?xml version="1.0" encoding="UTF-8"?><chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetViews><sheetView workbookViewId="0"/></sheetViews><drawing r:id="rId1"/></chartsheet>`;
    const xlsx = await handMadeXlsx(workbook, { 'xl/_rels/workbook.xml.rels': rels, 'xl/chartsheets/sheet1.xml': chart });
    const { body } = await upload(files, A, 'charted.xlsx', xlsx);
    expect(body.file?.status).toBe('READY');
    const read = await files.gql(`query($id: ID!) { file(id: $id) { sheets { name rowCount } } }`, { id: body.file!.id }, A);
    expect(read.data!.file.sheets).toEqual([{ name: 'Data', rowCount: 1 }]);
    // Only charts: nothing a run could read.
    const chartsOnly = workbook.replace('<sheet name="Data" sheetId="1" r:id="rId1"/>', '');
    expect(await refusal(files, 'charts.xlsx', await handMadeXlsx(chartsOnly, { 'xl/_rels/workbook.xml.rels': rels, 'xl/chartsheets/sheet1.xml': chart })))
      .toBe('This workbook has no worksheet, only charts: there are no rows to read');
  });

  it('still accepts a sheet that ends in whitespace, and a quote that is closed on a later line', async () => {
    expect((await upload(files, A, 'spaced.xlsx', await handMadeXlsx(WORKBOOK_XML, { 'xl/worksheets/sheet1.xml': `${SHEET_XML}\r\n` }))).body.file?.status).toBe('READY');
    expect((await upload(files, A, 'closed.csv', Buffer.from('a,b\n"two\nlines",1\n'))).body.file?.status).toBe('READY');
  });
});

describe('files that are not workbooks', () => {
  it('refuses a truncated zip as damaged', async () => {
    const whole = await salesWorkbook();
    expect(await refusal(files, 'cut.xlsx', whole.subarray(0, Math.floor(whole.length / 2)))).toBe('This workbook is damaged or is not a valid .xlsx file');
  });

  it('names an old binary .xls and a PDF named .xlsx', async () => {
    expect(await refusal(files, 'old.xlsx', OLD_XLS)).toBe('This is an Excel 97-2003 (.xls) workbook or a password-protected file, not an Excel workbook');
    expect(await refusal(files, 'paper.xlsx', PDF)).toBe('This is a PDF document, not an Excel workbook');
  });

  it('refuses an empty file at createUpload, before any byte is sent', async () => {
    const r = await files.gql(`mutation { createUpload(input: {name: "empty.xlsx", size: 0}) { file { id } } }`, {}, A);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'size' });
  });
});

describe('the inspection sandbox', () => {
  it('refuses a workbook whose inspection outgrows the thread\'s memory, and the service lives on', async () => {
    // A 15 MiB workbook part of distinct sheet names, read whole: far more than a 4 MiB heap can hold.
    const small = await startFiles({ inspectLimits: { ...INSPECT_LIMITS, sandbox: { ...INSPECT_LIMITS.sandbox, maxMemoryMb: 4 } } });
    try {
      const names = Array.from({ length: 150_000 }, (_, i) => `<sheet name="s${i.toString(36)}${(i * 2654435761 % 99991).toString(36)}" sheetId="${i + 1}" r:id="rId1"/>`).join('');
      const workbook = `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${names}</sheets></workbook>`;
      const bytes = await zipOf({ 'xl/workbook.xml': workbook, 'xl/_rels/workbook.xml.rels': '<Relationships/>' });
      expect(await refusal(small, 'heavy.xlsx', bytes)).toBe(TOO_BIG_TO_OPEN);
      expect(await small.healthy()).toBe(true);
    } finally {
      await small.stop();
    }
  });

  it('terminates an inspection that runs past its wall-clock limit', async () => {
    const slow = await startFiles({ inspectLimits: { ...INSPECT_LIMITS, sandbox: { ...INSPECT_LIMITS.sandbox, timeoutMs: 1 } } });
    try {
      expect(await refusal(slow, 'slow.xlsx', await salesWorkbook())).toBe(TOO_SLOW_TO_OPEN);
      expect(await slow.healthy()).toBe(true);
    } finally {
      await slow.stop();
    }
  });
});
