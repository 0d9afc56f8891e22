import { EngineError } from '../errors.js';
import { serialToDate, type Value } from '../values.js';
import { collectT } from './shared-strings.js';
import { decodeXml } from './xml.js';

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
 * numbers, booleans, errors, ISO dates (t="d"), date styles, and cell or row references that skip ahead.
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
  /** 1-based number of the last row seen, to place rows without an r attribute. */
  private lastRow = 0;

  constructor(
    prefix: string,
    private readonly dec: CellDecoding,
    private readonly onRow: (rowNumber: number, cells: Value[]) => void,
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
  }

  /** `xml` holds whole rows (it ends right after a </row>, or is the end of the part). */
  scan(xml: string): void {
    const rowOpen = this.rowOpen;
    const rowClose = this.rowClose;
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
      const rowNumber = this.rowNumber(xml, rs + rowOpen.length, tagEnd);
      this.lastRow = rowNumber;
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        pos = tagEnd + 1;
        this.onRow(rowNumber, []);
        continue;
      }
      const re = xml.indexOf(rowClose, tagEnd);
      if (re < 0) throw new EngineError('CORRUPT_FILE', `row ${rowNumber} of a worksheet is not closed`);
      this.onRow(rowNumber, this.cells(xml, tagEnd + 1, re));
      pos = re + rowClose.length;
    }
  }

  private rowNumber(xml: string, from: number, to: number): number {
    const r = xml.indexOf(' r="', from);
    if (r < 0 || r > to) return this.lastRow + 1;
    let n = 0;
    for (let i = r + 4; ; i++) {
      const c = xml.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
    }
    return n > 0 ? n : this.lastRow + 1;
  }

  private cells(xml: string, from: number, to: number): Value[] {
    const out: Value[] = [];
    const cellOpen = this.cellOpen;
    const openLen = cellOpen.length;
    let pos = from;
    for (;;) {
      const cs = xml.indexOf(cellOpen, pos);
      if (cs < 0 || cs >= to) return out;
      const next = xml.charCodeAt(cs + openLen);
      if (next !== 32 && next !== 62 && next !== 47) {
        pos = cs + openLen;
        continue;
      }
      const ce = xml.indexOf('>', cs);
      // Attributes: r (column letters), t (type), s (style), read in place without substrings.
      let col = -1;
      let type = 0; // 0 number, 1 shared string, 2 inline string, 3 boolean, 4 formula string, 5 error, 6 ISO date
      let style = -1;
      let i = cs + openLen;
      while (i < ce) {
        const c = xml.charCodeAt(i);
        if (c === 32 || c === 9 || c === 10 || c === 13 || c === 47) {
          i++;
          continue;
        }
        const eq = xml.indexOf('=', i);
        if (eq < 0 || eq > ce) break;
        const q = xml.charCodeAt(eq + 1);
        const vs = eq + 2;
        const ve = xml.indexOf(q === 39 ? "'" : '"', vs);
        if (eq - i === 1) {
          if (c === 114 /* r */) {
            let n = 0;
            for (let k = vs; k < ve; k++) {
              const d = xml.charCodeAt(k);
              if (d < 65 || d > 90) break;
              n = n * 26 + (d - 64);
            }
            col = n - 1;
          } else if (c === 116 /* t */) {
            const t0 = xml.charCodeAt(vs);
            const len = ve - vs;
            if (t0 === 115) type = len === 1 ? 1 : 4; // s | str
            else if (t0 === 105) type = 2; // inlineStr
            else if (t0 === 98) type = 3; // b
            else if (t0 === 101) type = 5; // e
            else if (t0 === 100) type = 6; // d
          } else if (c === 115 /* s */) {
            let n = 0;
            for (let k = vs; k < ve; k++) n = n * 10 + (xml.charCodeAt(k) - 48);
            style = n;
          }
        }
        i = ve + 1;
      }
      if (col < 0) col = out.length;
      while (out.length < col) out.push(null);
      if (xml.charCodeAt(ce - 1) === 47) {
        pos = ce + 1;
        if (out.length === col) out.push(null);
        continue;
      }
      const cEnd = xml.indexOf(this.cellClose, ce);
      if (cEnd < 0 || cEnd > to) throw new EngineError('CORRUPT_FILE', 'a worksheet cell is not closed');
      out[col] = this.value(xml, ce + 1, cEnd, type, style);
      pos = cEnd + this.cellClose.length;
    }
  }

  private value(xml: string, from: number, to: number, type: number, style: number): Value {
    if (type === 2) {
      const is = xml.indexOf(this.isOpen, from);
      if (is < 0 || is > to) return null;
      // The usual shape, <is><t>text</t></is>, without building the slice collectT needs for rich runs.
      const t = is + this.isOpen.length;
      if (xml.startsWith(this.tPlain, t)) {
        const a = t + this.tPlain.length;
        const b = xml.indexOf(this.tClose, a);
        if (b >= 0 && b < to && xml.startsWith(this.isClose, b + this.tClose.length)) {
          const text = xml.slice(a, b);
          return text.indexOf('&') < 0 ? text : decodeXml(text);
        }
      }
      return collectT(xml.slice(is, to), this.tOpen, this.tClose);
    }
    const vs = xml.indexOf(this.vOpen, from);
    if (vs < 0 || vs > to) return null;
    const start = vs + this.vOpen.length;
    const ve = xml.indexOf(this.vClose, start);
    if (ve === start) return type === 4 ? '' : null;
    if (type === 0) {
      const n = parseDecimal(xml, start, ve);
      if (n !== n) return null;
      if (style >= 0 && this.dec.dateStyles[style] === 1) return serialToDate(n, this.dec.date1904);
      return n;
    }
    if (type === 1) {
      let idx = 0;
      for (let k = start; k < ve; k++) idx = idx * 10 + (xml.charCodeAt(k) - 48);
      const s = this.dec.sst[idx];
      if (s === undefined) throw new EngineError('CORRUPT_FILE', `a cell refers to shared string ${idx}, which does not exist`);
      return s;
    }
    if (type === 3) return xml.charCodeAt(start) === 49;
    const text = decodeXml(xml.slice(start, ve));
    if (type === 6) {
      const d = new Date(text.length === 10 ? text + 'T00:00:00Z' : /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text + 'Z');
      return Number.isNaN(d.getTime()) ? text : d;
    }
    return text;
  }
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
