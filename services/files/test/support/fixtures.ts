import ExcelJS from 'exceljs';
import yazl from 'yazl';

/** A real workbook written by exceljs: a "Sales" sheet with a header and three rows, and an empty "Notes". */
export async function salesWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sales = wb.addWorksheet('Sales');
  sales.addRow(['region', 'amount', 'day', 'paid']);
  sales.addRow(['North', 120.5, new Date(Date.UTC(2026, 0, 5)), true]);
  sales.addRow(['South', 80, new Date(Date.UTC(2026, 0, 6)), false]);
  sales.addRow(['East', 42, new Date(Date.UTC(2026, 0, 7)), true]);
  wb.addWorksheet('Notes');
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A zip holding exactly `parts`, for structures no spreadsheet program would write. */
export function zipOf(parts: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, body] of Object.entries(parts)) zip.addBuffer(Buffer.isBuffer(body) ? body : Buffer.from(body), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

const RELS = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`;
export const SHEET_XML = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>`;

/** A minimal hand-made xlsx whose workbook part is `workbookXml`. */
export function handMadeXlsx(workbookXml: string, extra: Record<string, string | Buffer> = {}): Promise<Buffer> {
  return zipOf({ 'xl/workbook.xml': workbookXml, 'xl/_rels/workbook.xml.rels': RELS, 'xl/worksheets/sheet1.xml': SHEET_XML, ...extra });
}

export const WORKBOOK_XML = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`;

export const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/**
 * Renames an entry in a finished zip by patching its name bytes in place (local header and central
 * directory), for names zip writers rightly refuse to write, such as `../` paths. Same length only.
 */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('renameEntry needs names of the same length');
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) out.write(to, at, 'latin1');
  return out;
}
