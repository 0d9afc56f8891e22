import { EngineError } from '../errors.js';
import type { RowSink } from '../flow/port.js';
import { toText, type Row, type Value } from '../values.js';

export interface ReadLimits {
  /** Stop quietly after this many data rows (previews). */
  limit?: number;
  /** Fail with TOO_LARGE past this many data rows. */
  maxRows?: number;
}

/**
 * Turns the raw rows of a reader (xlsx or csv) into a sheet: the first non-empty row names the columns
 * (blank names become Column<n>, repeated ones get _2, _3, ...), later non-empty rows become data. A row
 * with no value is not data, wherever it is: a blank row between blocks of data is a spacer to the person
 * who left it, and as data it would make an empty group, a quarantined row, an empty line in every output,
 * and a row count that differs from the one inspection shows for the file. Cells beyond the header are
 * dropped and counted (the header has been sent by then; the run logs a warning).
 */
export class RawRows {
  private columns: string[] | null = null;
  rows = 0;
  droppedCells = 0;
  done = false;

  constructor(
    private readonly sink: RowSink,
    private readonly limits: ReadLimits,
    private readonly sheet: string,
  ) {}

  /** The column names, once the header row has been seen. */
  get header(): readonly string[] | null {
    return this.columns;
  }

  push(cells: Value[]): void {
    if (isBlank(cells)) return;
    if (this.columns === null) {
      this.begin(cells);
      return;
    }
    const width = this.columns.length;
    // Rows leave the reader exactly as wide as the header, so steps and previews see aligned cells.
    while (cells.length < width) cells.push(null);
    if (cells.length > width) {
      for (let i = width; i < cells.length; i++) if (cells[i] !== null && cells[i] !== '') this.droppedCells++;
      cells.length = width;
    }
    this.emit(cells);
  }

  private emit(row: Row): void {
    if (this.done) return;
    if (this.limits.limit !== undefined && this.rows >= this.limits.limit) {
      this.done = true;
      return;
    }
    this.rows++;
    if (this.limits.maxRows !== undefined && this.rows > this.limits.maxRows) {
      throw new EngineError('TOO_LARGE', `sheet ${JSON.stringify(this.sheet)} has more than ${this.limits.maxRows} rows (limit maxRows)`);
    }
    this.sink.row(row);
  }

  private begin(header: Value[]): void {
    const names = columnNames(Array.from(header, (v) => (v === null || v === undefined ? '' : toText(v))));
    this.columns = names;
    this.sink.begin(names);
  }

  /** Ends the sheet; a sheet with no row at all still begins, with no columns. */
  finish(): void {
    if (this.columns === null) {
      this.columns = [];
      this.sink.begin([]);
    }
    this.sink.end();
  }
}

function isBlank(cells: Value[]): boolean {
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    if (v !== null && v !== '' && v !== undefined) return false;
  }
  return true;
}

/**
 * The names of a header row's columns, from each cell's text: trimmed, a blank one `Column<n>` (n counting from
 * 1), a repeated one suffixed `_2`, `_3`, ... in order. The files service names inspected columns with it too.
 */
export function columnNames(headers: string[]): string[] {
  const seen = new Set<string>();
  return headers.map((header, i) => {
    const name = header.trim() || `Column${i + 1}`;
    let unique = name;
    for (let k = 2; seen.has(unique); k++) unique = `${name}_${k}`;
    seen.add(unique);
    return unique;
  });
}
