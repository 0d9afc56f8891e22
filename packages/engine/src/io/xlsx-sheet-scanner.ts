import { EngineError } from '../errors.js';
import { dateAt, parseIsoDate, serialToDate, timeOfDay, toSpreadsheetPrecision, type Value } from '../values.js';
import { collectT } from './shared-strings.js';
import { decodeCellText, decodeXml } from './xml.js';
import { DATE_STYLE, ELAPSED_STYLE, TIME_STYLE } from './xlsx-meta.js';

export interface CellDecoding {
  sst: string[];
  dateStyles: Uint8Array;
  date1904: boolean;
}

/**
 * The hot loop of the xlsx reader: turns whole <row> elements of a worksheet's sheetData into arrays of
 * values. Hand-written because reading dominates a run: a SAX parser costs 2.4x a plain byte scan on the
 * baseline workbook (baselines/README.md), and exceljs's reader 10x. It scans with indexOf and charCodeAt
 * over the decoded text and allocates only the values. Handles shared, inline and formula strings,
 * numbers, booleans, errors, ISO dates (t="d"), date styles, and cell references that skip ahead. A row that
 * is missing or holds no value is not data (RawRows), so row numbers are read only while `numbered` (a header
 * rule looking for its row): a row's `r`, else the one after the row before, as Excel numbers them.
 */
export class SheetScanner {
  private readonly rowOpen: string;
  /** The closing tag of a row, with the document's prefix: where a chunk of whole rows may end. */
  readonly rowClose: string;
  private readonly cellOpen: string;
  private readonly cellClose: string;
  private readonly vOpen: string;
  private readonly vClose: string;
  private readonly isOpen: string;
  private readonly tOpen: string;
  private readonly tClose: string;
  private readonly tPlain: string;
  private readonly isClose: string;
  /** The same tags as char codes, compared with matchAt: String.prototype.startsWith is a call per use. */
  private readonly cRowClose: number[];
  private readonly cCellOpen: number[];
  private readonly cCellClose: number[];
  private readonly cV: number[];
  private readonly cVClose: number[];
  private readonly cIsT: number[];
  private readonly cTIsClose: number[];

  /** Whether rows are numbered (onRow gets 0 otherwise). Once off it stays off: numbers are not kept up. */
  numbered = false;
  private lastRow = 0;

  constructor(
    prefix: string,
    private readonly dec: CellDecoding,
    private readonly onRow: (cells: Value[], row: number) => void,
  ) {
    this.rowOpen = `<${prefix}row`;
    this.rowClose = `</${prefix}row>`;
    this.cellOpen = `<${prefix}c`;
    this.cellClose = `</${prefix}c>`;
    this.vOpen = `<${prefix}v>`;
    this.vClose = `</${prefix}v>`;
    this.isOpen = `<${prefix}is>`;
    this.tOpen = `<${prefix}t`;
    this.tClose = `</${prefix}t>`;
    this.tPlain = `<${prefix}t>`;
    this.isClose = `</${prefix}is>`;
    this.cRowClose = codes(this.rowClose);
    this.cCellOpen = codes(this.cellOpen);
    this.cCellClose = codes(this.cellClose);
    this.cV = codes(this.vOpen);
    this.cVClose = codes(this.vClose);
    this.cIsT = codes(this.isOpen + this.tPlain);
    this.cTIsClose = codes(this.tClose + this.isClose);
  }

  /** `xml` holds whole rows (it ends right after a </row>, or is the end of the part). */
  scan(xml: string): void {
    const rowOpen = this.rowOpen;
    let pos = 0;
    for (;;) {
      const rs = xml.indexOf(rowOpen, pos);
      if (rs < 0) return;
      const after = xml.charCodeAt(rs + rowOpen.length);
      if (after !== 32 && after !== 62 && after !== 47) {
        pos = rs + rowOpen.length;
        continue;
      }
      const tagEnd = xml.indexOf('>', rs);
      if (tagEnd < 0) return;
      const row = this.numbered ? (this.lastRow = rowNumber(xml, rs + rowOpen.length, tagEnd, this.lastRow)) : 0;
      // A self-closed row holds no value.
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        pos = tagEnd + 1;
        continue;
      }
      const cells: Value[] = [];
      pos = this.cells(xml, tagEnd + 1, cells);
      this.onRow(cells, row);
    }
  }

  /**
   * Reads the cells of one row from `pos` through the row's closing tag, returning the position after it.
   * Tags are walked with charCodeAt; indexOf is used only to find the next element, which keeps the cost
   * per cell to a handful of comparisons.
   */
  private cells(xml: string, pos: number, out: Value[]): number {
    const end = xml.length;
    const cellOpen = this.cellOpen;
    const openLen = cellOpen.length;
    for (;;) {
      const lt = xml.indexOf('<', pos);
      if (lt < 0) throw corrupt('a row of a worksheet is not closed');
      if (matchAt(xml, lt, this.cRowClose)) return lt + this.rowClose.length;
      const next = xml.charCodeAt(lt + openLen);
      if (!matchAt(xml, lt, this.cCellOpen) || (next !== 32 && next !== 62 && next !== 47)) {
        pos = lt + 1;
        continue;
      }
      let col = -1;
      let type = 0; // 0 number, 1 shared string, 2 inline string, 3 boolean, 4 formula string, 5 error, 6 ISO date
      let style = -1;
      let selfClosing = false;
      let i = lt + openLen;
      for (;;) {
        if (i >= end) throw corrupt('a worksheet cell tag is not closed');
        const c = xml.charCodeAt(i);
        if (c === 62) break;
        if (c === 47) {
          selfClosing = true;
          i++;
          continue;
        }
        if (c === 32 || c === 9 || c === 10 || c === 13) {
          i++;
          continue;
        }
        const ns = i;
        while (i < end && xml.charCodeAt(i) !== 61) i++;
        const q = xml.charCodeAt(i + 1);
        const vs = i + 2;
        i = vs;
        while (i < end && xml.charCodeAt(i) !== q) i++;
        const ve = i++;
        if (vs - ns !== 3) continue; // only one-letter names (r, t, s) matter
        const a = xml.charCodeAt(ns);
        if (a === 114) {
          let n = 0;
          for (let k = vs; k < ve; k++) {
            const d = xml.charCodeAt(k);
            if (d < 65 || d > 90) break;
            n = n * 26 + (d - 64);
          }
          col = n - 1;
        } else if (a === 116) {
          const t0 = xml.charCodeAt(vs);
          if (t0 === 115) type = ve - vs === 1 ? 1 : 4; // s | str
          else if (t0 === 105) type = 2; // inlineStr
          else if (t0 === 98) type = 3; // b
          else if (t0 === 101) type = 5; // e
          else if (t0 === 100) type = 6; // d
        } else if (a === 115) {
          let n = 0;
          for (let k = vs; k < ve; k++) n = n * 10 + (xml.charCodeAt(k) - 48);
          style = n;
        }
      }
      if (col < 0) col = out.length;
      while (out.length < col) out.push(null);
      if (selfClosing) {
        if (out.length === col) out.push(null);
        pos = i + 1;
        continue;
      }
      pos = this.content(xml, i + 1, type, style, out, col);
    }
  }

  /** Reads a cell's content from `p` (just after its start tag) through </c>; returns the position after it. */
  private content(xml: string, p: number, type: number, style: number, out: Value[], col: number): number {
    const cellClose = this.cellClose;
    if (type !== 2 && matchAt(xml, p, this.cV)) {
      // The usual shape: <v>value</v></c>.
      const vs = p + this.cV.length;
      const ve = xml.indexOf('<', vs);
      if (ve >= 0 && matchAt(xml, ve, this.cVClose) && matchAt(xml, ve + this.cVClose.length, this.cCellClose)) {
        out[col] = this.valueOf(xml, vs, ve, type, style);
        return ve + this.cVClose.length + cellClose.length;
      }
    } else if (type === 2 && matchAt(xml, p, this.cIsT)) {
      // The usual inline string: <is><t>text</t></is></c>.
      const a = p + this.cIsT.length;
      const b = xml.indexOf('<', a);
      if (b >= 0 && matchAt(xml, b, this.cTIsClose) && matchAt(xml, b + this.cTIsClose.length, this.cCellClose)) {
        const text = xml.slice(a, b);
        out[col] = text.indexOf('&') < 0 && text.indexOf('_x') < 0 ? text : decodeCellText(text);
        return b + this.cTIsClose.length + cellClose.length;
      }
    }
    const cEnd = xml.indexOf(cellClose, p);
    if (cEnd < 0) throw corrupt('a worksheet cell is not closed');
    out[col] = this.value(xml, p, cEnd, type, style);
    return cEnd + cellClose.length;
  }

  /** The value of <v>…</v> (between vs and ve) for a cell of the given type and style. */
  private valueOf(xml: string, vs: number, ve: number, type: number, style: number): Value {
    if (ve === vs) return type === 4 ? '' : null;
    if (type === 0) {
      const n = parseDecimal(xml, vs, ve);
      if (n !== n) return null;
      if (style >= 0) {
        const kind = this.dec.dateStyles[style];
        const d = kind ? styledDate(n, kind, this.dec.date1904) : null;
        if (d) return d;
      }
      // 16 characters hold at most 15 significant digits, or a whole number: only longer ones can need it.
      return ve - vs > 16 ? toSpreadsheetPrecision(n) : n;
    }
    if (type === 1) {
      let idx = 0;
      for (let k = vs; k < ve; k++) idx = idx * 10 + (xml.charCodeAt(k) - 48);
      const s = this.dec.sst[idx];
      if (s === undefined) throw corrupt(`a cell refers to shared string ${idx}, which does not exist`);
      return s;
    }
    if (type === 3) return xml.charCodeAt(vs) === 49;
    if (type === 4) return decodeCellText(xml.slice(vs, ve));
    const text = decodeXml(xml.slice(vs, ve));
    if (type === 6) return isoCellDate(text) ?? text;
    return text;
  }

  /** Any other shape: rich inline text, a formula before its value, whitespace between elements. */
  private value(xml: string, from: number, to: number, type: number, style: number): Value {
    if (type === 2) {
      const is = xml.indexOf(this.isOpen, from);
      return is < 0 || is > to ? null : collectT(xml.slice(is, to), this.tOpen, this.tClose);
    }
    const vs = xml.indexOf(this.vOpen, from);
    if (vs < 0 || vs > to) return null;
    const start = vs + this.vOpen.length;
    return this.valueOf(xml, start, xml.indexOf(this.vClose, start), type, style);
  }
}

/**
 * The date a number cell shows under its style's kind (parseDateStyles: DATE_STYLE, TIME_STYLE, ELAPSED_STYLE), or
 * null when it stays the number it holds. A time of day in [0, 1) is a TimeOfDay. A serial past the years 0-9999 is
 * no date (Excel shows it as ####). Nor is a negative number shown as a time or elapsed time: a negative duration
 * (a timesheet's balance, a night shift's end - start), which as a date before 1899-12-30 an xlsx artifact would
 * write as text. Exported for the files service's inspection, which types columns as this reader reads them.
 */
export function styledDate(n: number, kind: number, date1904: boolean): Date | null {
  if (kind === TIME_STYLE && n >= 0 && n < 1) return timeOfDay(n);
  return kind === DATE_STYLE || ((kind === TIME_STYLE || kind === ELAPSED_STYLE) && n >= 0) ? serialToDate(n, date1904) : null;
}

/** An offset from UTC at the end of an ISO date and time, after the digits of its time: `+02:00`, `-0130`. */
const UTC_OFFSET = /\d([+-])(\d\d):?(\d\d)$/;

/**
 * The date of an ISO date cell (t="d"), read as a csv's ISO text is (parseIsoDate), or null: a date or time that
 * does not exist (2024-02-31, 24:00) stays the text written, as in a csv, where JavaScript's Date parser rolled it
 * over into the next month or day. An offset from UTC, which the format allows and the csv reader does not read, is
 * taken off the time it follows. A date with an offset and no time (`2024-02-03+02:00`) stays the text written, as
 * `2024-02-03Z` does: it names a day, which taking the offset off would move to 2024-02-02 22:00.
 */
export function isoCellDate(text: string): Date | null {
  const offset = text.length > 10 ? UTC_OFFSET.exec(text) : null;
  // The match starts at the last digit before the offset (so `Z+02:00` is none).
  const written = offset ? text.slice(0, offset.index + 1) : text;
  if (offset && written.length <= 10) return null;
  const local = parseIsoDate(written);
  if (!offset || !local) return local;
  const [, sign, hours, minutes] = offset;
  if (Number(hours) > 23 || Number(minutes) > 59) return null;
  return dateAt(local.getTime() - (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000);
}

/**
 * The number of the row whose start tag's attributes lie in xml[from, end): its `r`, else the row after
 * `previous` (`r` is optional, and a row without it follows the one before).
 */
function rowNumber(xml: string, from: number, end: number, previous: number): number {
  let i = from;
  while (i < end) {
    const c = xml.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 47) {
      i++;
      continue;
    }
    const ns = i;
    while (i < end && xml.charCodeAt(i) !== 61) i++;
    const q = xml.charCodeAt(i + 1);
    const vs = i + 2;
    i = vs;
    while (i < end && xml.charCodeAt(i) !== q) i++;
    if (vs - ns === 3 && xml.charCodeAt(ns) === 114) {
      let n = 0;
      for (let k = vs; k < i; k++) {
        const d = xml.charCodeAt(k) - 48;
        if (d < 0 || d > 9) return previous + 1;
        n = n * 10 + d;
      }
      return n > 0 ? n : previous + 1;
    }
    i++;
  }
  return previous + 1;
}

function codes(tag: string): number[] {
  return [...tag].map((c) => c.charCodeAt(0));
}

/** Whether `xml` has the characters `c` at `pos` (small enough for TurboFan to inline). */
function matchAt(xml: string, pos: number, c: number[]): boolean {
  for (let k = 0; k < c.length; k++) if (xml.charCodeAt(pos + k) !== c[k]) return false;
  return true;
}

function corrupt(message: string): EngineError {
  return new EngineError('CORRUPT_FILE', message);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Number() of xml[start, end) without making the substring, for plain decimals of up to 15 digits: the
 * digits form an exact integer and one division by an exact power of ten rounds correctly, so the result is
 * the same double Number() gives. Anything else (exponents, longer mantissas) goes through Number().
 */
export function parseDecimal(xml: string, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (xml.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = xml.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) scale++;
    } else if (c === 46 && !dot) dot = true;
    else return +xml.slice(start, end);
  }
  if (digits === 0 || digits > 15) return +xml.slice(start, end);
  const v = scale ? m / POW10[scale]! : m;
  return neg ? -v : v;
}
