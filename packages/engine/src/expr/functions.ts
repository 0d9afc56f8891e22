import { addDays, dateAt, formatDate, isEmpty, MAX_BUILT_TEXT, parseIsoDate, serialToDate, textTooLarge, toDate, toNumber, toText, truthy, utcTime, type Value } from '../values.js';
import { compareLoose } from './ops.js';

type Fn = (args: Value[]) => Value;

const MS_PER_DAY = 86_400_000;

const text = (v: Value | undefined) => toText(v ?? null);
const num = (v: Value | undefined) => toNumber(v ?? null);

/**
 * `parts` joined by `separator`, bounded as `+` is: past MAX_BUILT_TEXT the run fails with TOO_LARGE, and the
 * length is counted before anything is built (built whole, a replacement of a 600,000-character cell by itself
 * went past V8's longest string and failed as INTERNAL). concat() and replace() used to cut their result at
 * 32,767 characters without a word, and a cut text looks like any other to the steps after it; an xlsx cell
 * still holds 32,767 at most, and the xlsx writer cuts a longer one and says so in the run's log.
 */
function joinBounded(parts: string[], separator: string, what: string): string {
  let length = 0;
  for (let i = 0; i < parts.length; i++) {
    length += parts[i]!.length + (i > 0 ? separator.length : 0);
    if (length > MAX_BUILT_TEXT) throw textTooLarge(what);
  }
  return parts.join(separator);
}

/**
 * Excel's ROUND: halves away from zero, on the decimal value rather than its binary approximation. From 2^53 on
 * a double is a whole number with no digit to round at the places asked for (round(x, 2) of
 * 123456789012345678 moved it to another double), and shifting 1e300 by 15 places overflowed to Infinity and
 * came back as 0: such numbers are returned as they are at places right of the point (digits >= 0), and any
 * that is not finite at all places.
 */
function round(x: number, digits: number): number {
  const d = Math.max(-15, Math.min(15, Math.trunc(digits)));
  // Places left of the point (d < 0) still round a huge number: round(12345678901234567890, -10).
  if (!Number.isFinite(x) || (Math.abs(x) >= 2 ** 53 && d >= 0)) return x;
  return Math.sign(x) * shift(Math.round(shift(Math.abs(x), d)), -d) || 0;
}

/** x times 10^k, moved on its shortest decimal text, whose own exponent (5.1e-7, 1e+21) is added to k. */
function shift(x: number, k: number): number {
  const text = String(x);
  const e = text.indexOf('e');
  return e < 0 ? Number(`${text}e${k}`) : Number(`${text.slice(0, e)}e${Number(text.slice(e + 1)) + k}`);
}

/**
 * `date(y, m, d)`: a month or day out of its range rolls over, as Excel's DATE does (DATE(2026, 2, 31) is
 * 2026-03-03, month 13 the next January), where clean's cast refuses 31.02.2026. The cast reads what a file
 * says, and a date written that does not exist is a mistake in the data; date() computes one, and spreadsheet
 * users compute with the rollover: the first of next month is date(year(d), month(d) + 1, 1), December too, and
 * a month's last day date(year(d), month(d) + 1, 0), the language having no EDATE or EOMONTH. Refusing it would
 * break such formulas and the saved workflows that hold them. Unlike Excel, a year below 1900 is the year given
 * (Excel adds 1900 to it), so year(date(y, m, d)) is y. A date outside the years 0-9999 (Excel's #NUM!) is an
 * empty cell, as any value an expression cannot compute (amount / 0): ISO text, which csv artifacts and previews
 * write, has four digits of year, and past JavaScript's range a Date is not one at all.
 */
function makeDate(year: number, month: number, day: number): Date | null {
  return dateAt(utcTime(year, month - 1, day));
}

function dateOf(v: Value | undefined): Date | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return serialToDate(v);
  return toDate(v);
}

function extreme(args: Value[], sign: number): Value {
  let best: Value = null;
  for (const a of args) {
    if (isEmpty(a)) continue;
    if (best === null || (compareLoose(a, best) ?? 0) * sign > 0) best = a;
  }
  return best;
}

/**
 * The functions an expression may call, and only these: a Map, so no name can reach Object.prototype.
 * Each takes values and returns a value; none loops over more than its arguments or one cell's text.
 */
export const FUNCTIONS = new Map<string, { min: number; max: number; fn: Fn }>([
  ['if', { min: 2, max: 3, fn: (a) => (truthy(a[0] ?? null) ? (a[1] ?? null) : (a[2] ?? null)) }],
  ['coalesce', { min: 1, max: 64, fn: (a) => a.find((v) => !isEmpty(v)) ?? null }],
  ['is_empty', { min: 1, max: 1, fn: (a) => isEmpty(a[0]) }],
  ['round', { min: 1, max: 2, fn: (a) => { const x = num(a[0]); return x === null ? null : round(x, num(a[1]) ?? 0); } }],
  ['floor', { min: 1, max: 1, fn: (a) => { const x = num(a[0]); return x === null ? null : Math.floor(x); } }],
  ['ceil', { min: 1, max: 1, fn: (a) => { const x = num(a[0]); return x === null ? null : Math.ceil(x); } }],
  ['abs', { min: 1, max: 1, fn: (a) => { const x = num(a[0]); return x === null ? null : Math.abs(x); } }],
  ['min', { min: 1, max: 64, fn: (a) => extreme(a, -1) }],
  ['max', { min: 1, max: 64, fn: (a) => extreme(a, 1) }],
  ['number', { min: 1, max: 1, fn: (a) => num(a[0]) }],
  ['text', { min: 1, max: 1, fn: (a) => text(a[0]) }],
  ['len', { min: 1, max: 1, fn: (a) => text(a[0]).length }],
  ['upper', { min: 1, max: 1, fn: (a) => text(a[0]).toUpperCase() }],
  ['lower', { min: 1, max: 1, fn: (a) => text(a[0]).toLowerCase() }],
  ['trim', { min: 1, max: 1, fn: (a) => text(a[0]).trim() }],
  ['left', { min: 2, max: 2, fn: (a) => text(a[0]).slice(0, Math.max(0, num(a[1]) ?? 0)) }],
  ['right', { min: 2, max: 2, fn: (a) => { const s = text(a[0]); const n = Math.max(0, num(a[1]) ?? 0); return n ? s.slice(-n) : ''; } }],
  ['mid', { min: 3, max: 3, fn: (a) => { const s = num(a[1]) ?? 1; return text(a[0]).substr(Math.max(0, s - 1), Math.max(0, num(a[2]) ?? 0)); } }],
  ['concat', { min: 1, max: 64, fn: (a) => joinBounded(a.map((v) => text(v)), '', "the expression's concat()") }],
  ['replace', { min: 3, max: 3, fn: (a) => { const f = text(a[1]); const s = text(a[0]); return joinBounded(f === '' ? [s] : s.split(f), text(a[2]), "the expression's replace()"); } }],
  ['contains', { min: 2, max: 2, fn: (a) => text(a[0]).includes(text(a[1])) }],
  ['starts_with', { min: 2, max: 2, fn: (a) => text(a[0]).startsWith(text(a[1])) }],
  ['ends_with', { min: 2, max: 2, fn: (a) => text(a[0]).endsWith(text(a[1])) }],
  ['date', { min: 1, max: 3, fn: (a) => {
    if (a.length === 3) { const [y, m, d] = a.map((v) => num(v)); return y === null || m === null || d === null ? null : makeDate(y!, m!, d!); }
    return typeof a[0] === 'string' ? parseIsoDate(a[0].trim()) : dateOf(a[0]);
  } }],
  ['year', { min: 1, max: 1, fn: (a) => dateOf(a[0])?.getUTCFullYear() ?? null }],
  ['month', { min: 1, max: 1, fn: (a) => { const d = dateOf(a[0]); return d ? d.getUTCMonth() + 1 : null; } }],
  ['day', { min: 1, max: 1, fn: (a) => dateOf(a[0])?.getUTCDate() ?? null }],
  ['weekday', { min: 1, max: 1, fn: (a) => { const d = dateOf(a[0]); return d ? ((d.getUTCDay() + 6) % 7) + 1 : null; } }],
  ['add_days', { min: 2, max: 2, fn: (a) => { const d = dateOf(a[0]); const n = num(a[1]); return d && n !== null ? addDays(d, n) : null; } }],
  ['days_between', { min: 2, max: 2, fn: (a) => { const x = dateOf(a[0]); const y = dateOf(a[1]); return x && y ? (y.getTime() - x.getTime()) / MS_PER_DAY : null; } }],
  ['format_date', { min: 1, max: 1, fn: (a) => { const d = dateOf(a[0]); return d ? formatDate(d) : null; } }],
]);
