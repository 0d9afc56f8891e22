import { inferCsvValue } from '@rowline/engine';
import type { ColumnType } from '../domain/types.js';

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
