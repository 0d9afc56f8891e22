import type { Readable } from 'node:stream';
import type { ColumnInfo, ColumnType } from '../domain/types.js';
import { mergeType } from './column-types.js';
import { decodeXml, elements, firstElement, textOf } from './xml.js';

/** Bytes of one chunk kept for the next: a row tag split between chunks, and the part's closing tag at its end. */
const TAIL = 256;
/** The root's end tag, `</worksheet>` or `</x:worksheet>` (a prefix of up to 31 characters), then only whitespace. */
const WORKSHEET_END = /<\/(?:[A-Za-z_][\w.-]{0,30}:)?worksheet\s*>\s*$/;
const ROW = Buffer.from('row');
const LT = 0x3c;
const COLON = 0x3a;

/** `\s`, `/` or `>`: what may follow an element name. */
const ends = (b: number | undefined) => b === 0x20 || b === 0x2f || b === 0x3e || (b !== undefined && b >= 0x09 && b <= 0x0d);
const nameChar = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2e || b === 0x2d;
const nameStart = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;

/**
 * Counts the row start tags (`<row`, or `<p:row` with a namespace prefix of up to 31 characters, followed by
 * whitespace, `/` or `>`) in `bytes` that end after `from`: the bytes before `from` are the previous chunk's
 * tail, whose tags were counted already. Works on bytes with indexOf: a regex over a string copy of every
 * chunk cost several times more than inflating it.
 */
export function countRowStarts(bytes: Buffer, from: number): number {
  let rows = 0;
  for (let at = bytes.indexOf(ROW, 1); at >= 0; at = bytes.indexOf(ROW, at + 3)) {
    if (at + 4 <= from || !ends(bytes[at + 3])) continue;
    const before = bytes[at - 1]!;
    if (before === LT) { rows++; continue; }
    if (before !== COLON) continue;
    let p = at - 2;
    while (p >= 0 && at - 1 - p <= 31 && nameChar(bytes[p]!)) p--;
    const prefixLength = at - 2 - p;
    if (p >= 0 && bytes[p] === LT && prefixLength >= 1 && prefixLength <= 31 && nameStart(bytes[p + 1]!)) rows++;
  }
  return rows;
}

/**
 * Counts a sheet part's `<row>` elements by scanning the inflated bytes (no XML parse: this is the cheap
 * part of inspection) and keeps its first `maxHeadBytes` for the header and type sample. Past `deadline`
 * it stops and answers `rows: null` rather than hold the upload open. `complete` says whether the part
 * ends with its root's end tag: one cut off (mid-row, where the engine's reader fails the run, or between
 * rows, where a run would quietly lose the rest) does not; null when the scan stopped early.
 */
export async function scanSheet(stream: Readable, opts: { maxHeadBytes: number; deadline: number; maxRows?: number }): Promise<{ rows: number | null; head: string; headBytes: Buffer; complete: boolean | null }> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let rows = 0;
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      if (headBytes < opts.maxHeadBytes) {
        const part = bytes.subarray(0, opts.maxHeadBytes - headBytes);
        head.push(part);
        headBytes += part.length;
      }
      // The previous chunk's last bytes go in front, so a tag split between chunks is still seen (once).
      const window = tail.length ? Buffer.concat([tail, bytes]) : bytes;
      rows += countRowStarts(window, tail.length);
      tail = Buffer.from(window.subarray(Math.max(0, window.length - TAIL)));
      // Past the grid's last row the count no longer matters: the sheet will be refused.
      if (opts.maxRows !== undefined && rows > opts.maxRows) return headOf(rows, head, null);
      if (Date.now() > opts.deadline) return headOf(null, head, null);
    }
  } finally {
    stream.destroy();
  }
  return headOf(rows, head, WORKSHEET_END.test(tail.toString('latin1')));
}

function headOf(rows: number | null, head: Buffer[], complete: boolean | null) {
  const headBytes = Buffer.concat(head);
  return { rows, head: headBytes.toString('utf8'), headBytes, complete };
}

export type Cell = { col: number; type: string; value: string | null; style: number };

/** The complete rows in a sheet's head: cells with their column index, `t` type, raw value and style. */
export function sampleRows(head: string, maxRows: number, maxColumns: number): Cell[][] {
  const rows: Cell[][] = [];
  for (const row of elements(head, 'row')) {
    if (rows.length >= maxRows) break;
    const cells: Cell[] = [];
    let next = 0;
    for (const c of elements(row.body ?? '', 'c')) {
      const col = columnIndex(c.attrs.get('r')) ?? next;
      next = col + 1;
      if (col >= maxColumns) continue;
      const type = c.attrs.get('t') ?? 'n';
      const body = c.body ?? '';
      const raw = firstElement(body, 'v')?.body;
      const value = type === 'inlineStr' ? textOf(firstElement(body, 'is')?.body ?? '') : raw == null ? null : decodeXml(raw);
      cells.push({ col, type, value, style: Number(c.attrs.get('s') ?? 0) });
    }
    rows.push(cells);
  }
  return rows;
}

/** `BC12` -> 54 (zero-based); undefined when the reference is missing or malformed. */
export function columnIndex(ref: string | undefined): number | undefined {
  const letters = ref ? /^([A-Z]{1,3})\d*$/.exec(ref)?.[1] : undefined;
  if (!letters) return undefined;
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function cellType(cell: Cell, dateStyles: boolean[]): ColumnType {
  if (cell.value === null || cell.value === '') return cell.type === 's' || cell.type === 'inlineStr' ? 'TEXT' : 'EMPTY';
  switch (cell.type) {
    case 'b': return 'BOOLEAN';
    case 'd': return 'DATE';
    case 'n': return dateStyles[cell.style] ? 'DATE' : 'NUMBER';
    default: return 'TEXT';
  }
}

/**
 * Columns from a sheet's sampled rows: the first row with a value is the header (its cells name the
 * columns; shared strings come from `strings`), the rows after it give the types.
 */
export function columnsOf(rows: Cell[][], strings: Map<number, string>, dateStyles: boolean[]): { headerIndex: number; columns: ColumnInfo[] } {
  const headerIndex = rows.findIndex((cells) => cells.some((c) => c.value !== null && c.value !== ''));
  if (headerIndex < 0) return { headerIndex, columns: [] };
  const header = rows[headerIndex]!;
  const width = Math.max(...header.map((c) => c.col)) + 1;
  const columns: ColumnInfo[] = Array.from({ length: width }, () => ({ name: '', type: 'EMPTY' as ColumnType }));
  for (const cell of header) columns[cell.col]!.name = cellText(cell, strings);
  for (const row of rows.slice(headerIndex + 1)) {
    for (const cell of row) {
      const column = columns[cell.col];
      if (column) column.type = mergeType(column.type, cellType(cell, dateStyles));
    }
  }
  return { headerIndex, columns };
}

function cellText(cell: Cell, strings: Map<number, string>): string {
  if (cell.type === 's') return strings.get(Number(cell.value)) ?? '';
  if (cell.type === 'b') return cell.value === '1' ? 'TRUE' : 'FALSE';
  return cell.value ?? '';
}
