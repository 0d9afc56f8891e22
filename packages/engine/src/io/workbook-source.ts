import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import type { ReadLimits } from './raw-rows.js';

/** An input file seen as a workbook of named sheets, each read in a pass of its own. */
export interface WorkbookSource {
  readonly sheetNames: string[];
  /** Pushes the sheet to `sink` (begin, rows, end) and returns the number of data rows and dropped cells. */
  readSheet(name: string, sink: RowSink, ctl: RunControl, limits: ReadLimits, progress: ReadProgress): Promise<{ rows: number; droppedCells: number }>;
  close(): Promise<void>;
}

/** Called as a sheet is read: rows so far and, when the size is known, the fraction done. */
export type ReadProgress = (rows: number, fraction: number | undefined) => void;
