import { inferCsvValue, isoCellDate, styledDate } from '@rowline/engine';
import type { ColumnType } from '../domain/types.js';

/** How a workbook shows numbers: each cell style's kind (readDateStyles), and its date system. */
export type XlsxDates = { styles: Uint8Array; date1904: boolean };

/** An xlsx cell as sampled: its `t` type, its raw value (an inline string's text), and its style (-1: none). */
export type XlsxCell = { type: string; value: string | null; style: number };

/** The type of a column seen so far, given one more sampled cell: agreeing cells keep it, others make MIXED. */
export function mergeType(seen: ColumnType, cell: ColumnType): ColumnType {
  if (cell === 'EMPTY' || seen === cell) return seen;
  if (seen === 'EMPTY') return cell;
  return 'MIXED';
}

/**
 * A csv cell's type as a run reads it: the engine's own csv value inference (inferCsvValue), so inspection and a
 * run cannot disagree, but for the columns a workflow's clean step casts with a number or date format, which its
 * runs read as text, as the file wrote them (engine README, "clean's casts"): inspection knows no workflow. Plain decimals are numbers (not ids with leading zeros such as zip codes, nor unsigned
 * whole numbers of more than 15 digits, kept as text so that card numbers and references keep their digits), ISO
 * dates are dates, true/false are booleans, each with spaces and tabs around it aside; everything else is text.
 */
export function csvCellType(cell: string): ColumnType {
  const v = inferCsvValue(cell);
  if (v === null) return 'EMPTY';
  if (typeof v === 'number') return 'NUMBER';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return v instanceof Date ? 'DATE' : 'TEXT';
}

/**
 * An xlsx cell's type as a run reads it (the engine's xlsx reader): a number in a date, time or elapsed-time style
 * is a date only where the engine makes one of it (styledDate: not past the years 0-9999 in the workbook's date
 * system, not a negative time), and an ISO date cell (t="d") only when it names a day that exists (isoCellDate:
 * `2024-02-31` stays text). Before 2026-12-01 both were DATE whatever they held.
 */
export function xlsxCellType(cell: XlsxCell, dates: XlsxDates): ColumnType {
  if (cell.value === null || cell.value === '') return cell.type === 's' || cell.type === 'inlineStr' ? 'TEXT' : 'EMPTY';
  switch (cell.type) {
    case 'b': return 'BOOLEAN';
    case 'd': return isoCellDate(cell.value) ? 'DATE' : 'TEXT';
    case 'n': {
      const n = Number(cell.value);
      if (Number.isNaN(n)) return 'EMPTY';
      const kind = cell.style >= 0 ? dates.styles[cell.style] : undefined;
      return kind && styledDate(n, kind, dates.date1904) ? 'DATE' : 'NUMBER';
    }
    default: return 'TEXT';
  }
}
