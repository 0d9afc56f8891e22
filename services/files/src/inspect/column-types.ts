import type { ColumnType } from '../domain/types.js';

/** The type of a column seen so far, given one more sampled cell: agreeing cells keep it, others make MIXED. */
export function mergeType(seen: ColumnType, cell: ColumnType): ColumnType {
  if (cell === 'EMPTY' || seen === cell) return seen;
  if (seen === 'EMPTY') return cell;
  return 'MIXED';
}

/**
 * The engine's number syntax (parseNumber in its values.ts): plain decimals without leading zeros, a fraction
 * only with digits after the point (`1.` and `5.e1` are text), and finite (`1e400` is text).
 */
const NUMBER = /^[-+]?(?:0|[1-9]\d*)?(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?Z?)?$/;

/**
 * A csv cell's type as a spreadsheet user would read it (spaces and tabs around it aside): plain decimals are numbers (but not ids with leading
 * zeros such as zip codes, nor unsigned whole numbers of more than 15 digits, which the engine keeps as text
 * so that card numbers and references keep their digits), ISO dates are dates, true/false are booleans, everything
 * else is text.
 */
export function csvCellType(cell: string): ColumnType {
  if (cell === '') return 'EMPTY';
  // Spaces and tabs around a number, date or boolean are layout, as the engine reads them.
  const raw = trimSpacesAndTabs(cell);
  if (raw === '') return 'TEXT';
  if (NUMBER.test(raw) && Number.isFinite(Number(raw)) && !/^\d{16,}$/.test(raw)) return 'NUMBER';
  if (isIsoDate(raw)) return 'DATE';
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === 'false') return 'BOOLEAN';
  return 'TEXT';
}

/** An ISO date whose day exists: 2026-02-30 is text, not a date rolled over into March. */
function isIsoDate(raw: string): boolean {
  const m = ISO_DATE.exec(raw);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * A column's name from its header cell, as the engine names it (RawRows in its raw-rows.ts): without the
 * white space at either end (String.prototype.trim), so that `id, amount ,\tday` names `amount` and `day` here as
 * in a run, and a step built from an inspected name finds its column.
 */
export function columnName(header: string): string {
  return header.trim();
}

/**
 * The names of a header's columns, as the engine names them (RawRows.begin): each trimmed (`columnName`), a blank
 * one `Column<n>` (n counting from 1), and a repeated one suffixed `_2`, `_3`, ... in order.
 */
export function columnNames(headers: string[]): string[] {
  const seen = new Set<string>();
  return headers.map((header, i) => {
    const name = columnName(header) || `Column${i + 1}`;
    let unique = name;
    for (let k = 2; seen.has(unique); k++) unique = `${name}_${k}`;
    seen.add(unique);
    return unique;
  });
}

/**
 * `s` without the spaces and tabs at either end (the engine's rule, trimSpacesAndTabs in its csv reader), in one
 * pass from each end: the regex /^[ \t]+|[ \t]+$/g is quadratic on a run of blanks inside a cell.
 */
export function trimSpacesAndTabs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
