import type { SheetInfo } from '../domain/types.js';
import type { XlsxLimits } from './limits.js';
import { Rejection } from './rejection.js';
import { assertRowCount, assertSheetHead, EXCEL_MAX_ROWS } from './sheet-bounds.js';
import { readDateStyles, readSharedStrings, readSheetList } from './xlsx-parts.js';
import { columnsOf, sampleRows, scanSheet } from './xlsx-sheet.js';
import { openZip, type ZipArchive } from './zip.js';

export type ZipVerdict =
  | { kind: 'xlsx'; sheets: SheetInfo[] }
  | { kind: 'other'; description: string; contentType: string };

/**
 * Inspects a zip spooled to `path`: an xlsx (it has `xl/workbook.xml`) gets its sheets, row counts and
 * header columns; any other zip is named for the person who uploaded it. Hostile structure (bombs,
 * unsafe paths, DTDs) is refused with a `Rejection`.
 */
export async function inspectZip(path: string, limits: XlsxLimits): Promise<ZipVerdict> {
  const zip = await openZip(path, limits);
  try {
    if (!zip.has('xl/workbook.xml')) return describeZip(zip);
    return { kind: 'xlsx', sheets: await inspectWorkbook(zip, limits) };
  } finally {
    zip.close();
  }
}

async function inspectWorkbook(zip: ZipArchive, limits: XlsxLimits): Promise<SheetInfo[]> {
  const { sheets, sharedStrings, styles, date1904 } = await readSheetList(zip, limits.maxPartBytes);
  if (sheets.length > limits.maxSheets) throw new Rejection(`This workbook has more than ${limits.maxSheets} sheets, which is not allowed`);
  const deadline = Date.now() + limits.timeBudgetMs;
  const scanned = [];
  for (const sheet of sheets) {
    const stream = sheet.path ? await zip.open(sheet.path) : null;
    if (!stream) throw new Rejection(`This workbook is damaged: the sheet ${JSON.stringify(sheet.name)} has no content`);
    const scan = await scanSheet(stream, { maxHeadBytes: limits.maxSampleBytes, deadline, maxRows: EXCEL_MAX_ROWS });
    assertSheetHead(sheet.name, scan.headBytes);
    assertRowCount(sheet.name, scan.rows);
    if (scan.complete === false) {
      throw new Rejection(`This workbook is damaged: the sheet ${JSON.stringify(sheet.name)} is cut off, so its rows cannot all be read; save it again in Excel and upload it again`);
    }
    scanned.push({ name: sheet.name, rows: scan.valueRows, sample: sampleRows(scan.head, limits.sampleRows + 1, limits.maxColumns) });
  }
  // Only header cells need their text; the sample's other cells need only their types.
  const headers = scanned.map((s) => s.sample.find((cells) => cells.some((c) => c.value !== null && c.value !== '')) ?? []);
  const wanted = new Set(headers.flat().filter((c) => c.type === 's').map((c) => Number(c.value)).filter(Number.isInteger));
  const strings = await readSharedStrings(zip, sharedStrings, wanted, { maxBytes: limits.maxSharedStringsBytes, maxItemChars: limits.maxSharedStringChars });
  const dates = { styles: await readDateStyles(zip, styles, limits.maxPartBytes), date1904 };
  return scanned.map(({ name, rows, sample }) => {
    const { columns } = columnsOf(sample, strings, dates);
    // The header is the first row with a value; rows with none are not data (see RowCounter).
    const rowCount = rows === null ? null : Math.max(0, rows - 1);
    return { name, rowCount, columns };
  });
}

function describeZip(zip: ZipArchive): ZipVerdict {
  if (zip.has('word/document.xml')) {
    return { kind: 'other', description: 'a Word document', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' };
  }
  if (zip.has('ppt/presentation.xml')) {
    return { kind: 'other', description: 'a PowerPoint presentation', contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation' };
  }
  if (zip.has('mimetype') && zip.has('content.xml')) {
    return { kind: 'other', description: 'an OpenDocument file (such as .ods)', contentType: 'application/vnd.oasis.opendocument.spreadsheet' };
  }
  return { kind: 'other', description: 'a ZIP archive', contentType: 'application/zip' };
}
