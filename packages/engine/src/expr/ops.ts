import { addDays, compareValues, isEmpty, isLongInteger, MAX_BUILT_TEXT, textTooLarge, toDate, toNumber, toText, type Value } from '../values.js';

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
  if (na !== null && nb !== null) {
    if ((typeof a === 'string' && a.length > 15) || (typeof b === 'string' && b.length > 15)) {
      const xa = exactInteger(a, na);
      const xb = exactInteger(b, nb);
      if (xa !== null || xb !== null) return compareExact(xa ?? na, xb ?? nb);
    }
    return na - nb;
  }
  const ta = toText(a);
  const tb = toText(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/**
 * A whole number of more than 15 digits held as text (an id the csv reader keeps as text), as a BigInt, when its
 * double `n` has lost digits: past 2^53 doubles skip whole numbers, and "1234567890123456789" and "…788" are
 * one double, so as numbers two such ids would be equal.
 */
function exactInteger(v: Value, n: number): bigint | null {
  if (typeof v !== 'string' || Number.isSafeInteger(n)) return null;
  const t = v.trim();
  return isLongInteger(t) ? BigInt(t) : null;
}

/** BigInts and numbers compared by their exact values (JS compares a bigint with a number exactly). */
function compareExact(x: bigint | number, y: bigint | number): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

export function equalsLoose(a: Value, b: Value): boolean {
  if (isEmpty(a) || isEmpty(b)) return isEmpty(a) && isEmpty(b);
  return compareLoose(a, b) === 0;
}

/** `+`: numbers add, a date plus a number of days is a date, anything else with text concatenates. */
export function add(a: Value, b: Value): Value {
  if (a instanceof Date && typeof b === 'number') return addDays(a, b);
  if (typeof a === 'number' && b instanceof Date) return addDays(b, a);
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
  if (a instanceof Date && typeof b === 'number') return addDays(a, -b);
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
