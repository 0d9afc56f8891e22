import { Rejection } from './rejection.js';
import { elements, firstElement } from './xml.js';
import { assertNoDoctype } from './xml.js';

/** Excel's grid ends at XFD1048576; a workbook claiming more was not written by a spreadsheet program. */
export const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_COLUMNS = 16_384;

const BEYOND = (sheet: string) =>
  `This workbook's sheet ${JSON.stringify(sheet)} reaches beyond XFD1048576, the last cell a spreadsheet can have, so it was not opened`;

const REF = /^([A-Z]{1,3})?(\d+)?$/;

function outOfGrid(ref: string | undefined): boolean {
  if (!ref) return false;
  const m = REF.exec(ref);
  if (!m) return false;
  let col = 0;
  for (const ch of m[1] ?? '') col = col * 26 + (ch.charCodeAt(0) - 64);
  const row = m[2] === undefined ? 0 : Number(m[2]);
  return col > EXCEL_MAX_COLUMNS || row > EXCEL_MAX_ROWS;
}

/**
 * Checks what inspection kept of a sheet part (its first bytes) before anything reads cells from it: it
 * must be XML (not, say, an archive hidden under a sheet's name: nested archives are never opened), carry
 * no document type declaration (entities are never expanded, external ones never fetched), and stay inside
 * Excel's grid in its declared dimension and in every sampled row and cell reference.
 */
export function assertSheetHead(sheet: string, headBytes: Buffer): void {
  if (headBytes.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) {
    throw new Rejection(`This workbook's sheet ${JSON.stringify(sheet)} is itself a ZIP archive; archives inside workbooks are not opened`);
  }
  const head = headBytes.toString('utf8');
  if (head.length > 0 && !/^(\ufeff)?\s*</.test(head)) {
    throw new Rejection(`This workbook is damaged: the sheet ${JSON.stringify(sheet)} is not XML`);
  }
  assertNoDoctype(head);
  const dimension = firstElement(head, 'dimension')?.attrs.get('ref');
  if (dimension?.split(':').some(outOfGrid)) throw new Rejection(BEYOND(sheet));
  for (const row of elements(head, 'row')) {
    if (outOfGrid(row.attrs.get('r') ?? undefined) || Number(row.attrs.get('r')) > EXCEL_MAX_ROWS) throw new Rejection(BEYOND(sheet));
    for (const cell of elements(row.body ?? '', 'c')) if (outOfGrid(cell.attrs.get('r'))) throw new Rejection(BEYOND(sheet));
  }
}

/** A sheet with more `<row>` elements than Excel's grid holds is refused, whatever its references say. */
export function assertRowCount(sheet: string, rows: number | null): void {
  if (rows !== null && rows > EXCEL_MAX_ROWS) {
    throw new Rejection(`This workbook's sheet ${JSON.stringify(sheet)} has more than ${EXCEL_MAX_ROWS.toLocaleString('en-US')} rows, more than a spreadsheet can hold, so it was not opened`);
  }
}
