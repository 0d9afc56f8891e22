import { crc32, deflateRawSync } from 'node:zlib';
import { zipOf } from './fixtures.js';

const RELS = (sheets: number) => `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
${Array.from({ length: sheets }, (_, i) => `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('')}
<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
const WORKBOOK = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`;

export const SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const sheetOf = (rows: string, prolog = '') =>
  `${SHEET_HEAD}${prolog}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;
/** A header cell naming its column through shared string 0, and one data row. */
export const SHARED_HEADER_ROWS = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>';
export const SHARED_STRINGS = (prolog = '', text = 'amount') =>
  `${SHEET_HEAD}${prolog}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>${text}</t></si></sst>`;

/** A workbook of one sheet "Data" whose sheet XML and shared strings are exactly as given. */
export function workbookWith(parts: { sheetRows?: string; sheetProlog?: string; sheet?: string | Buffer; sharedStrings?: string; extra?: Record<string, string | Buffer> }): Promise<Buffer> {
  return zipOf({
    'xl/workbook.xml': WORKBOOK,
    'xl/_rels/workbook.xml.rels': RELS(1),
    'xl/worksheets/sheet1.xml': parts.sheet ?? sheetOf(parts.sheetRows ?? SHARED_HEADER_ROWS, parts.sheetProlog),
    'xl/sharedStrings.xml': parts.sharedStrings ?? SHARED_STRINGS(),
    ...parts.extra,
  });
}

/** `count` rows of sheet XML that each repeat `row` (a tiny file can hold a huge sheet this way). */
export const repeatedRows = (row: string, count: number) => row.repeat(count);

/** `bytes` whose deflate ratio sits between 100:1 and 200:1: a nonzero byte every 100 bytes. */
export function compressibleBytes(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 100) out[i] = (i * 7919) & 255;
  return out;
}
export const deflateRatio = (bytes: Buffer) => bytes.length / deflateRawSync(bytes).length;

/**
 * Rewrites the uncompressed size that a zip declares for entry `name` (central directory and local header),
 * for a bomb that lies about how much it inflates to.
 */
export function declareSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const wanted = Buffer.from(name);
  let patched = 0;
  for (let at = 0; at + 4 <= out.length; at++) {
    const sig = out.readUInt32LE(at);
    if (sig === 0x02014b50 && out.subarray(at + 46, at + 46 + out.readUInt16LE(at + 28)).equals(wanted)) {
      out.writeUInt32LE(size, at + 24);
      patched++;
    } else if (sig === 0x04034b50 && out.subarray(at + 30, at + 30 + out.readUInt16LE(at + 26)).equals(wanted)) {
      if (out.readUInt32LE(at + 22) !== 0) out.writeUInt32LE(size, at + 22);
      patched++;
    }
  }
  if (patched === 0) throw new Error(`no entry ${name} in the zip`);
  return out;
}

/** The first bytes of an OLE2 compound file: what Excel 97-2003 .xls workbooks are. */
export const OLD_XLS = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504, 0)]);

/**
 * A zip of stored (uncompressed) entries written directly: yazl takes about a minute for ten thousand
 * entries, this takes milliseconds.
 */
export function storedZip(parts: Record<string, string | Buffer>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, body] of Object.entries(parts)) {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = Object.keys(parts).length;
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The parts of workbookWith's default workbook, for zips built some other way. */
export function workbookParts(): Record<string, string> {
  return { 'xl/workbook.xml': WORKBOOK, 'xl/_rels/workbook.xml.rels': RELS(1), 'xl/worksheets/sheet1.xml': sheetOf(SHARED_HEADER_ROWS), 'xl/sharedStrings.xml': SHARED_STRINGS() };
}
