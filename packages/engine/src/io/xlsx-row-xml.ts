import { dateToSerial, formatDate, isTimeOfDay, type Value } from '../values.js';
import { escapeCellText } from './xml.js';

/** Excel refuses cells longer than this; longer text is cut and counted as a warning. */
export const MAX_CELL_CHARS = 32767;

/** Style indexes of the writer's styles.xml: 0 general, 1 date, 2 date and time, 3 time of day. */
export const STYLE_DATE = 1;
export const STYLE_DATETIME = 2;
export const STYLE_TIME = 3;

export function columnLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const m = (n - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/**
 * Serialises rows as worksheet XML. Text is written inline (t="inlineStr") rather than into a shared-strings
 * table, so writing needs no memory that grows with the data; deflate removes the repetition.
 */
export class RowXml {
  /** `<c r="B` per column: the constant start of every cell's tag. */
  private open: string[] = [];
  truncated = 0;

  constructor(width: number) {
    this.ensure(width);
  }

  private ensure(width: number): void {
    for (let i = this.open.length; i < width; i++) this.open.push(`<c r="${columnLetters(i)}`);
  }

  row(n: number, values: readonly Value[]): string {
    if (values.length > this.open.length) this.ensure(values.length);
    let s = `<row r="${n}">`;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const open = this.open[i]! + n;
      if (typeof v === 'number') {
        if (Number.isFinite(v)) s += open + '"><v>' + v + '</v></c>';
      } else if (typeof v === 'string') {
        if (v !== '') s += open + '" t="inlineStr"><is>' + this.text(v) + '</is></c>';
      } else if (typeof v === 'boolean') {
        s += open + (v ? '" t="b"><v>1</v></c>' : '" t="b"><v>0</v></c>');
      } else {
        const serial = dateToSerial(v);
        if (serial === null) {
          // A date before 1899-12-30, or on it after midnight, has no serial: its ISO text, as a csv writes it, not a
          // cell Excel shows as #### or as 1900-01-00, a day later.
          s += open + '" t="inlineStr"><is>' + this.text(formatDate(v)) + '</is></c>';
          continue;
        }
        const style = isTimeOfDay(v) ? STYLE_TIME : serial % 1 === 0 ? STYLE_DATE : STYLE_DATETIME;
        if (Number.isFinite(serial)) s += open + '" s="' + style + '"><v>' + serial + '</v></c>';
      }
    }
    return s + '</row>';
  }

  private text(v: string): string {
    if (v.length > MAX_CELL_CHARS) {
      this.truncated++;
      v = v.slice(0, MAX_CELL_CHARS);
    }
    const e = escapeCellText(v);
    const c0 = e.charCodeAt(0);
    const cl = e.charCodeAt(e.length - 1);
    const ws = c0 === 32 || c0 === 9 || c0 === 10 || cl === 32 || cl === 9 || cl === 10;
    return ws ? `<t xml:space="preserve">${e}</t>` : `<t>${e}</t>`;
  }
}

export const SHEET_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>';
export const SHEET_TAIL = '</sheetData></worksheet>';
