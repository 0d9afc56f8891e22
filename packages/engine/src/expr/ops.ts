import { compareValues, isEmpty, MAX_BUILT_TEXT, textTooLarge, toDate, toNumber, toText, type Value } from '../values.js';

const MS_PER_DAY = 86_400_000;

/**
 * Type-aware comparison of two cells for the expression language: numbers (and numeric text) compare as
 * numbers, a date with a date or ISO date text as dates, everything else as text. Returns null when either
 * side is empty: an empty cell is neither smaller nor larger than anything.
 */
export function compareLoose(a: Value, b: Value): number | null {
  if (isEmpty(a) || isEmpty(b)) return null;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    return typeof a === typeof b ? Number(a) - Number(b) : compareValues(a, b);
  }
  if (a instanceof Date || b instanceof Date) {
    const da = toDate(a);
    const db = toDate(b);
    if (da && db) return da.getTime() - db.getTime();
    return compareValues(a, b);
  }
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return na - nb;
  const ta = toText(a);
  const tb = toText(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

export function equalsLoose(a: Value, b: Value): boolean {
  if (isEmpty(a) || isEmpty(b)) return isEmpty(a) && isEmpty(b);
  return compareLoose(a, b) === 0;
}

/** `+`: numbers add, a date plus a number of days is a date, anything else with text concatenates. */
export function add(a: Value, b: Value): Value {
  if (a instanceof Date && typeof b === 'number') return new Date(a.getTime() + b * MS_PER_DAY);
  if (typeof a === 'number' && b instanceof Date) return new Date(b.getTime() + a * MS_PER_DAY);
  const na = toNumber(a);
  const nb = toNumber(b);
  if (na !== null && nb !== null) return na + nb;
  if (typeof a === 'string' || typeof b === 'string') {
    const x = toText(a);
    const y = toText(b);
    if (x.length + y.length > MAX_BUILT_TEXT) throw textTooLarge('the expression\'s +');
    return x + y;
  }
  return null;
}

export function subtract(a: Value, b: Value): Value {
  if (a instanceof Date && b instanceof Date) return (a.getTime() - b.getTime()) / MS_PER_DAY;
  if (a instanceof Date && typeof b === 'number') return new Date(a.getTime() - b * MS_PER_DAY);
  return arithmetic(a, b, (x, y) => x - y);
}

/** Arithmetic on empty or non-numeric values gives an empty cell, like a missing value in pandas. */
export function arithmetic(a: Value, b: Value, f: (x: number, y: number) => number): Value {
  const na = toNumber(a);
  if (na === null) return null;
  const nb = toNumber(b);
  if (nb === null) return null;
  const r = f(na, nb);
  return Number.isFinite(r) ? r : null;
}
