import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import type { ReadOptions } from './raw-rows.js';

/** An input file seen as a workbook of named sheets, each read in a pass of its own. */
export interface WorkbookSource {
  readonly sheetNames: string[];
  /** A csv file's name (its one sheet is named after it, see baseName); absent for an xlsx. */
  readonly csvFileName?: string;
  /**
   * Pushes the sheet to `sink` (begin, rows, end) and returns the number of data rows and dropped cells. A csv
   * reader leaves the cells of the columns `asText` names as text (StepModule.textColumns); xlsx cells are typed
   * by the file.
   */
  readSheet(name: string, sink: RowSink, ctl: RunControl, options: ReadOptions, progress: ReadProgress, asText?: TextColumns): Promise<{ rows: number; droppedCells: number }>;
  close(): Promise<void>;
}

/** Columns read as text, by name. */
export type TextColumns = ReadonlySet<string> | 'all';

/** Called as a sheet is read: rows so far and, when the size is known, the fraction done. */
export type ReadProgress = (rows: number, fraction: number | undefined) => void;
