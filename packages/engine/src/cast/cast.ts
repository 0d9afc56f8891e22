import { serialToDate, toBoolean, toDate, toNumber, toText, type Value } from '../values.js';
import { compileDateFormat, parseFormattedDate } from './date-format.js';
import { parseFormattedNumber, type NumberFormat } from './number-format.js';

export type CastTo = 'number' | 'text' | 'date' | 'boolean';

export interface CastParams {
  cast?: CastTo;
  decimalSeparator?: '.' | ',';
  thousandsSeparator?: string;
  dateFormat?: string;
}

/** A value that could not be cast, and why when the cast can say (a formatted one). */
export class CastFailure {
  constructor(readonly reason: string | null) {}
}

/** Casts one cell of the column at index `column`, named `name` (formatted numbers keep one currency per column). */
export type Caster = (v: Value, column: number, name: string) => Value | CastFailure;

/** Whether the step reads text as written for people: a number or date format given with its cast. */
export function hasFormat(p: CastParams): boolean {
  return (p.cast === 'number' && (p.decimalSeparator !== undefined || p.thousandsSeparator !== undefined)) || (p.cast === 'date' && p.dateFormat !== undefined);
}

/**
 * Whether the csv reader must leave the cast's columns as the file wrote them: only where its own typing
 * would lose what the format says. With a decimal comma, `1.000` (a thousand) and `1.5` (not a number in that
 * format) are plain decimals to the reader, which makes them 1 and 1.5 before the cast sees them. With a
 * decimal point the reader types only what the format reads alike (`1234.5`), and leaves everything else
 * (`1,234.5`, `$12`, `12 %`) as text for the cast. Dates: an ISO-looking value read by another pattern
 * (`YYYY-DD-MM`) would be typed as ISO, so a date format always reads text as written; the reader leaves
 * every non-ISO date as text anyway, so steps before the cast see what they saw without a format.
 */
export function readsTextAsWritten(p: CastParams): boolean {
  return (p.cast === 'number' && p.decimalSeparator === ',') || (p.cast === 'date' && p.dateFormat !== undefined);
}

export function makeCaster(p: CastParams & { cast: CastTo }): Caster {
  if (p.cast === 'number' && hasFormat(p)) return numberCaster({ decimalSeparator: p.decimalSeparator ?? '.', ...(p.thousandsSeparator === undefined ? {} : { thousandsSeparator: p.thousandsSeparator }) });
  if (p.cast === 'date' && p.dateFormat !== undefined) return dateCaster(p.dateFormat);
  const to = p.cast;
  return (v) => plainCast(v, to) ?? new CastFailure(null);
}

/** The cast without a format, exactly as before formats existed (saved workflows run unchanged). */
function plainCast(v: Value, to: CastTo): Value {
  switch (to) {
    case 'number':
      return toNumber(typeof v === 'string' ? v.replace(/[\s\u00a0]/g, '') : v);
    case 'text':
      return toText(v);
    case 'date':
      return typeof v === 'number' ? serialToDate(v) : toDate(v);
    case 'boolean':
      return toBoolean(v);
  }
}

/**
 * A number is a number already (an xlsx cell, a computed value) and is kept; text is read with the format. The
 * first currency a column shows is its currency: an amount in another one is a cast error, since a sum of
 * dollars and euros is no amount at all (the engine converts no currency). A symbol and its code (`€`, `EUR`)
 * are two currencies to this rule, as written.
 */
function numberCaster(format: NumberFormat): Caster {
  const currencies = new Map<number, string>();
  return (v, column, name) => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : new CastFailure('is not a finite number');
    if (typeof v !== 'string') return new CastFailure(v instanceof Date ? 'is a date' : 'is a boolean');
    const r = parseFormattedNumber(v, format);
    if (!r.ok) return new CastFailure(r.reason);
    if (r.currency !== null) {
      const first = currencies.get(column);
      if (first === undefined) currencies.set(column, r.currency);
      // Both currencies and the column: with every column cast, "the column" alone does not say which, and the
      // value's own currency does not say what the column is held to.
      else if (first !== r.currency) return new CastFailure(`is in ${r.currency}, but column ${JSON.stringify(name)} is in ${first}, the first currency it showed (one currency per column)`);
    }
    return r.value;
  };
}

/**
 * A date stays a date (an xlsx date cell). A number is an Excel serial, as without a format, unless the pattern
 * is digits only (`YYYYMMDD`, which SAP writes into number cells): then its digits are the text, zeros in front
 * restored to the pattern's width where its first field has them (a cell 1012026 for `DDMMYYYY` is 01.01.2026).
 * A four-digit year has none: padded, 991231 for `YYYYMMDD` was 0099-12-31.
 */
function dateCaster(pattern: string): Caster {
  const format = compileDateFormat(pattern);
  // validateSteps has refused such a pattern; a run checks its steps first.
  if ('error' in format) throw new Error(`internal: dateFormat ${JSON.stringify(pattern)} ${format.error}`);
  return (v) => {
    if (v instanceof Date) return v;
    let text: string;
    if (typeof v === 'number') {
      if (format.digitsOnly === null) return serialToDate(v) ?? new CastFailure('is not a date of the years 0 to 9999');
      if (!Number.isSafeInteger(v) || v < 0) return new CastFailure(`is not written as ${pattern}`);
      text = String(v);
      if (text.length < format.digitsOnly && !format.zerosInFront) return new CastFailure(`has ${text.length} digits, and ${pattern} has ${format.digitsOnly}`);
      text = text.padStart(format.digitsOnly, '0');
    } else if (typeof v === 'string') {
      text = v;
    } else {
      return new CastFailure('is a boolean');
    }
    const r = parseFormattedDate(text, format);
    return r.ok ? r.value : new CastFailure(r.reason);
  };
}
