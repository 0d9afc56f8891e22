import type { Readable } from 'node:stream';
import type { ColumnInfo, ColumnType } from '../domain/types.js';
import { columnNames } from '@rowline/engine';
import { mergeType, xlsxCellType, type XlsxCell, type XlsxDates } from './column-types.js';
import { decodeXml, elements, firstElement, textOf } from './xml.js';

/** The last bytes seen, where the part's closing tag must be at its end. */
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

/** Bytes kept for the next chunk while looking for row tags: the longest row tag seen whole, with room to spare. */
const ROW_TAG_TAIL = 64;
/** How far a start tag of `v` or `t` may run before its `>`; past it, it is taken for no value (a hostile tag). */
const VALUE_TAG_MAX = 1024;

/**
 * Counts a sheet part's rows as bytes stream past (no XML parse: this is the cheap part of inspection):
 * `rows`, every `<row>` element (what Excel's grid bounds), and `valueRows`, the rows holding a value, which
 * is what a run reads: the engine takes a row with no value (only formatting, as Excel writes for a row whose
 * height or style was set, or cells with a style and nothing in them) for no row at all.
 *
 * A row holds a value when a `<v>` or `<t>` (an inline string's text) in it is neither empty nor
 * self-closing. Between rows it jumps from one `row` to the next with indexOf; inside a row still without a
 * value it walks the tags, which ends at the first cell of nearly every row.
 */
export class RowCounter {
  rows = 0;
  valueRows = 0;
  /** Inside a row that holds no value so far: tags are walked one by one. */
  private scanning = false;
  private carry: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (this.scanning) {
        // Tags are a few bytes apart here: a loop is cheaper than a call of indexOf for each.
        let lt = pos;
        while (lt < bytes.length && bytes[lt] !== LT) lt++;
        if (lt === bytes.length) { pos = lt; break; }
        const after = readTag(bytes, lt);
        if (after < 0) { pos = lt; break; }
        if (tagKind === Tag.Row || (tagKind === Tag.SheetData && tagEnd)) {
          if (!tagEnd) this.rows++;
          else this.scanning = false;
          pos = after;
          continue;
        }
        if (tagKind === Tag.Value && !tagEnd) {
          let close = after;
          while (close < bytes.length && close - lt <= VALUE_TAG_MAX && bytes[close] !== 0x3e) close++;
          if (close === bytes.length) close = -1;
          if (close < 0 && bytes.length - lt <= VALUE_TAG_MAX) { pos = lt; break; }
          if (close < 0 || close - lt > VALUE_TAG_MAX || bytes[close - 1] === 0x2f) { pos = after; continue; }
          if (close + 1 >= bytes.length) { pos = lt; break; }
          if (bytes[close + 1] !== LT) { this.valueRows++; this.scanning = false; }
          pos = close + 1;
          continue;
        }
        pos = after;
        continue;
      }
      // Not in a row, or in one already counted: on to the next row tag.
      const at = bytes.indexOf(ROW, pos);
      if (at < 0 || at + 3 >= bytes.length) { pos = Math.max(pos, bytes.length - ROW_TAG_TAIL); break; }
      const kind = rowTagAt(bytes, at);
      if (kind === 'start') { this.rows++; this.scanning = true; }
      pos = at + 3;
    }
    this.carry = Buffer.from(bytes.subarray(Math.max(0, pos)));
  }
}

const enum Tag { Other, Row, Value, SheetData }
/** What readTag found: its kind and whether it ends an element (module state, so the hot loop allocates nothing). */
let tagKind = Tag.Other;
let tagEnd = false;

/** The kind of the local name in bytes[start, end): only the names RowCounter acts on. */
function kindOf(bytes: Buffer, start: number, end: number): Tag {
  const n = end - start;
  const c = bytes[start];
  if (n === 1) return c === 0x76 || c === 0x74 ? Tag.Value : Tag.Other; // v, t
  if (n === 3) return c === 0x72 && bytes[start + 1] === 0x6f && bytes[start + 2] === 0x77 ? Tag.Row : Tag.Other;
  if (n === 9) return bytes.toString('latin1', start, end) === 'sheetData' ? Tag.SheetData : Tag.Other;
  return Tag.Other;
}

/**
 * Reads the tag `<name` or `</name` at `lt` (its namespace prefix dropped) into tagKind and tagEnd; answers
 * where its name stops, or -1 when the bytes end before that.
 */
function readTag(bytes: Buffer, lt: number): number {
  let i = lt + 1;
  tagEnd = bytes[i] === 0x2f;
  if (tagEnd) i++;
  let start = i;
  while (i < bytes.length && i - start <= 32 && nameChar(bytes[i]!)) i++;
  if (i < bytes.length && bytes[i] === COLON) {
    // A namespace prefix: 1 to 31 name characters, the first a letter or `_`.
    if (i - start < 1 || i - start > 31 || !nameStart(bytes[start]!)) { tagKind = Tag.Other; return i; }
    start = ++i;
    while (i < bytes.length && i - start <= 32 && nameChar(bytes[i]!)) i++;
  }
  if (i >= bytes.length) return -1;
  tagKind = ends(bytes[i]) ? kindOf(bytes, start, i) : Tag.Other;
  return i;
}

/** What the `row` at `at` is: a start tag (`<row`, `<p:row`), an end tag (`</row`, `</p:row`), or neither. */
function rowTagAt(bytes: Buffer, at: number): 'start' | 'end' | null {
  if (!ends(bytes[at + 3])) return null;
  let p = at - 1;
  if (bytes[p] === COLON) {
    p--;
    while (p >= 0 && at - 1 - p <= 31 && nameChar(bytes[p]!)) p--;
    const prefixLength = at - 2 - p;
    if (p < 0 || prefixLength < 1 || prefixLength > 31 || !nameStart(bytes[p + 1]!)) return null;
  }
  if (bytes[p] === LT) return 'start';
  if (bytes[p] === 0x2f && bytes[p - 1] === LT) return 'end';
  return null;
}

/**
 * Counts a sheet part's rows (see RowCounter) and keeps its first `maxHeadBytes` for the header and type
 * sample. Past `deadline` it stops and answers `rows: null` rather than hold the upload open. `complete` says
 * whether the part ends with its root's end tag: one cut off (mid-row, where the engine's reader fails the
 * run, or between rows, where a run would quietly lose the rest) does not; null when the scan stopped early.
 */
export async function scanSheet(stream: Readable, opts: { maxHeadBytes: number; deadline: number; maxRows?: number }): Promise<{ rows: number | null; valueRows: number | null; head: string; headBytes: Buffer; complete: boolean | null }> {
  const head: Buffer[] = [];
  let headBytes = 0;
  const counter = new RowCounter();
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      if (headBytes < opts.maxHeadBytes) {
        const part = bytes.subarray(0, opts.maxHeadBytes - headBytes);
        head.push(part);
        headBytes += part.length;
      }
      counter.push(bytes);
      tail = Buffer.from(bytes.length >= TAIL ? bytes.subarray(-TAIL) : Buffer.concat([tail, bytes]).subarray(-TAIL));
      // Past the grid's last row the count no longer matters: the sheet will be refused.
      if (opts.maxRows !== undefined && counter.rows > opts.maxRows) return headOf(counter, head, null);
      if (Date.now() > opts.deadline) return headOf(null, head, null);
    }
  } finally {
    stream.destroy();
  }
  return headOf(counter, head, WORKSHEET_END.test(tail.toString('latin1')));
}

function headOf(counter: RowCounter | null, head: Buffer[], complete: boolean | null) {
  const headBytes = Buffer.concat(head);
  return { rows: counter?.rows ?? null, valueRows: counter?.valueRows ?? null, head: headBytes.toString('utf8'), headBytes, complete };
}

/** A sampled cell at its column; `style` is -1 without an `s`, which the engine reads as no style (no date). */
export type Cell = XlsxCell & { col: number };

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
      cells.push({ col, type, value, style: Number(c.attrs.get('s') ?? -1) });
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

/**
 * Columns from a sheet's sampled rows: the first row with a value is the header (its cells name the
 * columns; shared strings come from `strings`), the rows after it give the types.
 */
export function columnsOf(rows: Cell[][], strings: Map<number, string>, dates: XlsxDates): { headerIndex: number; columns: ColumnInfo[] } {
  const headerIndex = rows.findIndex((cells) => cells.some((c) => c.value !== null && c.value !== ''));
  if (headerIndex < 0) return { headerIndex, columns: [] };
  const header = rows[headerIndex]!;
  const width = Math.max(...header.map((c) => c.col)) + 1;
  const columns: ColumnInfo[] = Array.from({ length: width }, () => ({ name: '', type: 'EMPTY' as ColumnType }));
  const texts = Array.from({ length: width }, () => '');
  for (const cell of header) texts[cell.col] = cellText(cell, strings);
  columnNames(texts).forEach((name, i) => { columns[i]!.name = name; });
  for (const row of rows.slice(headerIndex + 1)) {
    for (const cell of row) {
      const column = columns[cell.col];
      if (column) column.type = mergeType(column.type, xlsxCellType(cell, dates));
    }
  }
  return { headerIndex, columns };
}

function cellText(cell: Cell, strings: Map<number, string>): string {
  if (cell.type === 's') return strings.get(Number(cell.value)) ?? '';
  if (cell.type === 'b') return cell.value === '1' ? 'TRUE' : 'FALSE';
  return cell.value ?? '';
}
