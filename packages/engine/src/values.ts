import { EngineError } from './errors.js';

/**
 * The engine's cell value: a number, a text, a boolean, a date (a JS Date in UTC: spreadsheets have no time
 * zone) or empty (null). Rows are arrays of values, aligned with their sheet's columns; a row shorter than
 * its columns has empty cells at the end.
 */
export type Value = null | number | string | boolean | Date;
export type Row = Value[];

const MS_PER_DAY = 86_400_000;
/** Serial 0 of the 1900 date system, for serials from 61 (1900-03-01) on. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** The first instant the engine holds as a date, and the first past its last: 0000-01-01 and 10000-01-01. */
const FIRST_DATE = utcTime(0, 0, 1);
const PAST_LAST_DATE = utcTime(10000, 0, 1);

/**
 * The date at `t` (ms since 1970, UTC), or null outside the years 0-9999 (Excel's #NUM!). Every date computed from
 * a number (a serial, a date moved by days, date(y, m, d)) goes through here, and text is read with four digits
 * of year, so no date a step sees, an artifact writes or a preview sends is outside them: ISO text, which csv
 * artifacts and previews write, has four digits of year (10000-01-01 was written `+010000-01-01`), and past
 * JavaScript's range a Date is no date at all (format_date threw "Invalid time value", an INTERNAL run).
 */
export function dateAt(t: number): Date | null {
  return t >= FIRST_DATE && t < PAST_LAST_DATE ? new Date(t) : null;
}

/**
 * Excel serial -> date, null past the years 0-9999. Excel's 1900 system counts a 29 February 1900 that never was
 * (serial 60), so serials below 61 are one day off; like openpyxl we map 1..59 to their true dates and the
 * phantom 60 to 28 February.
 */
export function serialToDate(serial: number, date1904 = false): Date | null {
  let day = Math.floor(serial);
  const ms = Math.round((serial - day) * MS_PER_DAY);
  if (date1904) return dateAt(EPOCH_1904 + day * MS_PER_DAY + ms);
  if (serial > 0 && serial < 60) day += 1;
  return dateAt(EPOCH_1900 + day * MS_PER_DAY + ms);
}

/**
 * A time of day with no date: an xlsx cell whose serial is in [0, 1) and whose number format shows a time
 * only (h:mm, hh:mm:ss AM/PM), in either date system. It is a Date on 1899-12-30, serial 0 of the 1900
 * system, so it sorts, compares and subtracts as dates do, and is written as a time (`09:30:00`, an h:mm:ss
 * cell), as the sheet showed it. A class of its own, not a range of dates: a csv date `1899-12-30` (a common
 * placeholder for no date) is a date on that day, and stays one. Sent as JSON (a preview), it is `09:30:00`.
 */
export class TimeOfDay extends Date {
  override toJSON(): string {
    return formatDate(this);
  }
}

/** The time of day of a serial in [0, 1), in either date system (serial 0 is midnight). */
export function timeOfDay(serial: number): TimeOfDay {
  return new TimeOfDay(EPOCH_1900 + Math.round(serial * MS_PER_DAY));
}

export function isTimeOfDay(d: Date): d is TimeOfDay {
  return d instanceof TimeOfDay;
}

/**
 * `d` moved by a number of days, null past the years 0-9999 (as dateAt). A time of day stays a time of day,
 * wrapping around midnight as an h:mm cell shows it (22:00 plus 4 hours is 02:00: a night shift's end from its
 * start); moved past any number JavaScript holds, it is no time either.
 */
export function addDays(d: Date, days: number): Date | null {
  const t = d.getTime() + days * MS_PER_DAY;
  if (!(d instanceof TimeOfDay)) return dateAt(t);
  if (!Number.isFinite(t)) return null;
  const inDay = (((t - EPOCH_1900) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  // Half a millisecond before midnight rounds to midnight of this day, not the next.
  return new TimeOfDay(EPOCH_1900 + (Math.round(inDay) % MS_PER_DAY));
}

/**
 * Date -> Excel serial (1900 system), the inverse of serialToDate for every date from 1900-01-01 on, every time of
 * day and every serial in [0, 1) the reader gives (1899-12-30 and 1899-12-31, Excel's 1900-01-00); null before
 * 1899-12-30, which the system has no serial for (Excel shows a negative serial as ####), and on 1899-12-30 after
 * midnight: a serial in (0, 1) is 1899-12-31 (Excel's 1900-01-00), so 1899-12-30 09:30 written as 0.3958 came back,
 * in Excel and here, a day later. The day of serial 0 keeps its serial although no date of Excel's: it is what an
 * elapsed-time cell under a day (`[h]:mm`, a timesheet's hours, read as a date on 1899-12-31) and a zero duration
 * are read as, and they go back to the numbers they were. The cost: a csv's 1899-12-31 is written 0, which Excel
 * shows as 1900-01-00 and the reader reads as 1899-12-30.
 */
export function dateToSerial(d: Date): number | null {
  const ms = d.getTime() - EPOCH_1900;
  if (ms < 0 || (ms > 0 && ms < MS_PER_DAY && !isTimeOfDay(d))) return null;
  let days = Math.floor(ms / MS_PER_DAY);
  const frac = (ms - days * MS_PER_DAY) / MS_PER_DAY;
  if (days > 0 && days <= 60) days -= 1;
  return days + frac;
}

/**
 * A number read from a file, to the 15 significant digits Excel keeps for what it shows and compares: Excel
 * writes a formula's result with 17 (`<v>59.970000000000006</v>` for a cell showing 59.97), which no filter
 * `eq 59.97` matched and every csv showed. Whole numbers are kept as they are.
 */
export function toSpreadsheetPrecision(n: number): number {
  return Number.isInteger(n) ? n : Number(n.toPrecision(15));
}

export function isEmpty(v: Value | undefined): boolean {
  return v === null || v === undefined || v === '';
}

/**
 * Date.UTC, except that a year is the year given: Date.UTC takes 0-99 as 1900-1999 (a two-digit-year rule of
 * JavaScript's, which read `0099-12-31` as 1999-12-31). A month or day out of its range rolls over, as in Date.UTC.
 */
export function utcTime(year: number, monthIndex: number, day: number, hours = 0, minutes = 0, seconds = 0, ms = 0): number {
  // Date.UTC itself for every other year: no Date is built for each ISO cell of a csv.
  if (!(year > -1 && year < 100)) return Date.UTC(year, monthIndex, day, hours, minutes, seconds, ms);
  const d = new Date(0);
  d.setUTCFullYear(year, monthIndex, day);
  return d.setUTCHours(hours, minutes, seconds, ms);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z)?)?$/;

/** Parses an ISO date or date-time (no offset other than Z) as UTC; null when the text is not one. */
export function parseIsoDate(s: string): Date | null {
  const m = ISO_DATE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, ms] = m;
  // utcTime would carry 10:60 over to 11:00 (and 24:00 into the next day, refused below): not a time.
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se ?? 0) > 59)) return null;
  const month = Number(mo) - 1;
  const t = utcTime(Number(y), month, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(se ?? 0), Number((ms ?? '0').padEnd(3, '0')));
  const date = new Date(t);
  // utcTime rolls 2024-02-31 over to March: refuse such dates rather than guess.
  if (date.getUTCMonth() !== month || date.getUTCDate() !== Number(d)) return null;
  return date;
}

/** Plain decimal numbers only: no hex, no Infinity, no thousands separators, no leading zeros (ids, zip codes). */
const NUMBER = /^[-+]?(?:0|[1-9]\d*)?(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

const LONG_INTEGER = /^[-+]?\d{16,}$/;

/**
 * A whole number of more than 15 digits, signed or not. A spreadsheet keeps 15 digits of a number and a double
 * about 16, so as a number it may lose its last digits: the csv reader keeps an unsigned one as text (an id: a
 * card number, a bank or order reference), and joins and expressions compare such text by its digits.
 */
export function isLongInteger(s: string): boolean {
  return s.length > 15 && LONG_INTEGER.test(s);
}

export function parseNumber(s: string): number | null {
  const t = s.trim();
  if (t === '' || t === '+' || t === '-' || t === '.' || !NUMBER.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export function toNumber(v: Value): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return parseNumber(v);
  return null;
}

export function toDate(v: Value): Date | null {
  if (v instanceof Date) return v;
  if (typeof v === 'string') return parseIsoDate(v.trim());
  return null;
}

export function formatDate(d: Date): string {
  const iso = d.toISOString();
  if (isTimeOfDay(d)) return iso.endsWith('.000Z') ? iso.slice(11, 19) : iso.slice(11, 23);
  if (d.getTime() % MS_PER_DAY === 0) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * The longest text a step may build out of cells: `+`, concat() and replace() in an expression (compute_column,
 * filter and validate expressions) and clean's replace. Repeated in step after step, either doubles a cell each
 * time (`s + s`, `a` replaced by `aa`), and nothing held by a streaming step counts in the run's MemoryBudget: one
 * cell of 26 doublings took a run to 590 MB of RSS and failed as INTERNAL (V8's longest string), 100 rows of 20
 * the same. 1 Mi characters is 32 times what an Excel cell holds, far past any real value built from cells.
 */
export const MAX_BUILT_TEXT = 1024 * 1024;

export function textTooLarge(what: string): EngineError {
  return new EngineError('TOO_LARGE', `${what} builds a text of more than ${MAX_BUILT_TEXT} characters`);
}

export function toText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return formatDate(v);
}

export function toBoolean(v: Value): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'yes' || t === '1') return true;
    if (t === 'false' || t === 'no' || t === '0') return false;
  }
  return null;
}

export function truthy(v: Value): boolean {
  if (v === null || v === '' || v === false || v === 0) return false;
  return !(typeof v === 'number' && Number.isNaN(v));
}

/** Rank of each type in a mixed sort: numbers, dates, text, booleans; empty cells sort last in any direction. */
export function rank(v: Value): number {
  if (typeof v === 'number') return 0;
  if (v instanceof Date) return 1;
  if (typeof v === 'string') return 2;
  return 3;
}

/** Total order of non-empty values: by type first, then within the type. */
export function compareValues(a: Value, b: Value, caseInsensitive = false): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (a instanceof Date) return a.getTime() - (b as Date).getTime();
  if (typeof a === 'string') {
    let x = a;
    let y = b as string;
    if (caseInsensitive) {
      x = x.toLowerCase();
      y = y.toLowerCase();
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Number(a) - Number(b);
}

/**
 * A string that is equal for values that are equal, used for grouping, distinct counts, dedupe and joins.
 * Numbers and numeric text do not collide: a key keeps the type.
 */
export function valueKey(v: Value, caseInsensitive = false): string {
  if (v === null || v === '') return '';
  if (typeof v === 'string') return 's' + (caseInsensitive ? v.toLowerCase() : v);
  if (typeof v === 'number') return 'n' + v;
  if (typeof v === 'boolean') return v ? 'bt' : 'bf';
  return 'd' + v.getTime();
}

/** Rough heap size of a value, for the memory bound (V8 strings take about 2 bytes a char in the worst case). */
export function valueBytes(v: Value): number {
  if (typeof v === 'string') return 16 + v.length * 2;
  if (v instanceof Date) return 32;
  return 8;
}

export function rowBytes(r: Row): number {
  let n = 32 + r.length * 8;
  for (let i = 0; i < r.length; i++) {
    const v = r[i]!;
    if (typeof v === 'string') n += 16 + v.length * 2;
    else if (v instanceof Date) n += 32;
  }
  return n;
}

/**
 * A join key: like valueKey, but numbers and numeric text meet (an id typed 42 in one file and "42" in
 * another), as do dates and their ISO text.
 */
export function joinKey(v: Value, caseInsensitive = false): string {
  if (typeof v === 'string') {
    const n = parseNumber(v);
    // Past 2^53 a double no longer holds every whole number: "1234567890123456789" and "…788" are one number.
    if (n !== null && (Number.isSafeInteger(n) || !isLongInteger(v.trim()))) return 'n' + n;
    const d = v.length >= 10 ? parseIsoDate(v.trim()) : null;
    if (d) return 'd' + d.getTime();
  }
  return valueKey(v, caseInsensitive);
}
