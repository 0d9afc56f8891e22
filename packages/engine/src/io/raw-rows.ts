import { EngineError } from '../errors.js';
import type { RowSink } from '../flow/port.js';
import { parseNumber, toText, type Row, type Value } from '../values.js';

export interface ReadLimits {
  /** Stop quietly after this many data rows (previews). */
  limit?: number;
  /** Fail with TOO_LARGE past this many data rows. */
  maxRows?: number;
}

/** How a sheet is read: its limits, and where its header is when it is not the first row with a value. */
export interface ReadOptions extends ReadLimits {
  header?: HeaderRule;
}

/**
 * Where a sheet's header is (the header_row step): a row number as the spreadsheet shows it, or the first row
 * that holds a cell equal to each of `find.values`. Rows above it are not data.
 */
export interface HeaderRule {
  row?: number;
  find?: { values: string[]; caseInsensitive?: boolean; trim?: boolean };
  /** The step that set the rule: its errors are that step's. */
  step: number;
  /** The file the sheet belongs to, when it is not the run's input (named in errors). */
  file?: string;
  /** Told once the header is found: its row number and how many rows with a value were above it. */
  found?(row: number, skipped: number): void;
}

/**
 * Turns the raw rows of a reader (xlsx or csv) into a sheet: the first non-empty row names the columns
 * (blank names become Column<n>, repeated ones get _2, _3, ...), later non-empty rows become data. A row
 * with no value is not data, wherever it is: a blank row between blocks of data is a spacer to the person
 * who left it, and as data it would make an empty group, a quarantined row, an empty line in every output,
 * and a row count that differs from the one inspection shows for the file. Cells beyond the header are
 * dropped and counted (the header has been sent by then; the run logs a warning).
 *
 * With a HeaderRule the header is the row it names instead, and the rows above it are dropped: readers pass
 * each row's number as the spreadsheet shows it (an xlsx row's `r`, a csv record's number, blank ones counted),
 * which they need only until the header is found (`locating`).
 */
export class RawRows {
  private columns: string[] | null = null;
  private readonly matches: ((cells: Value[]) => boolean) | null;
  /** Rows with a value above the header, and the number of the last of them (for errors). */
  private skipped = 0;
  private lastRow = 0;
  rows = 0;
  droppedCells = 0;
  done = false;

  constructor(
    private readonly sink: RowSink,
    private readonly options: ReadOptions,
    private readonly sheet: string,
  ) {
    const find = options.header?.find;
    this.matches = find ? headerMatcher(find) : null;
  }

  /** The column names, once the header row has been seen. */
  get header(): readonly string[] | null {
    return this.columns;
  }

  /** Whether the reader must pass row numbers: a header rule is looking for its row. */
  get locating(): boolean {
    return this.columns === null && this.options.header !== undefined;
  }

  /** `row` is the row's number in the sheet; readers may pass 0 once `locating` is false. */
  push(cells: Value[], row: number): void {
    if (this.columns === null) {
      this.locate(cells, row);
      return;
    }
    if (isBlank(cells)) return;
    const width = this.columns.length;
    // Rows leave the reader exactly as wide as the header, so steps and previews see aligned cells.
    while (cells.length < width) cells.push(null);
    if (cells.length > width) {
      for (let i = width; i < cells.length; i++) if (cells[i] !== null && cells[i] !== '') this.droppedCells++;
      cells.length = width;
    }
    this.emit(cells);
  }

  private locate(cells: Value[], row: number): void {
    const rule = this.options.header;
    const blank = isBlank(cells);
    if (rule === undefined) {
      if (!blank) this.begin(cells);
      return;
    }
    if (rule.row !== undefined) {
      // A row the sheet leaves out (xlsx) or one of no value is no header: the rule named a blank row.
      if (row > rule.row || (row === rule.row && blank)) throw this.notFound(rule, `row ${rule.row} is blank`);
      if (row < rule.row) {
        if (!blank) this.skipAbove(row);
        return;
      }
    } else {
      if (blank) return;
      if (!this.matches!(cells)) {
        this.skipAbove(row);
        return;
      }
    }
    rule.found?.(row, this.skipped);
    this.begin(cells);
  }

  private skipAbove(row: number): void {
    this.skipped++;
    this.lastRow = row;
  }

  private notFound(rule: HeaderRule, why: string): EngineError {
    const where = `sheet ${JSON.stringify(this.sheet)}${rule.file === undefined ? '' : ` of file ${JSON.stringify(rule.file)}`}`;
    const at = rule.row !== undefined ? ` at row ${rule.row}` : '';
    return new EngineError('HEADER_NOT_FOUND', `${where} has no header${at}: ${why}`, { step: rule.step });
  }

  private emit(row: Row): void {
    if (this.done) return;
    const { limit, maxRows } = this.options;
    if (limit !== undefined && this.rows >= limit) {
      this.done = true;
      return;
    }
    this.rows++;
    if (maxRows !== undefined && this.rows > maxRows) {
      throw new EngineError('TOO_LARGE', `sheet ${JSON.stringify(this.sheet)} has more than ${maxRows} rows (limit maxRows)`);
    }
    this.sink.row(row);
  }

  private begin(header: Value[]): void {
    const names = columnNames(Array.from(header, (v) => (v === null || v === undefined ? '' : toText(v))));
    this.columns = names;
    this.sink.begin(names);
  }

  /**
   * Ends the sheet; a sheet with no row at all still begins, with no columns. A header rule that found no
   * header fails the read (HEADER_NOT_FOUND, the rule's step).
   */
  finish(): void {
    if (this.columns === null) {
      const rule = this.options.header;
      if (rule?.row !== undefined) {
        throw this.notFound(rule, this.skipped ? `the sheet ends before it (its last row with a value is row ${this.lastRow})` : 'the sheet has no row with a value');
      }
      if (rule?.find) throw this.notFound(rule, describeFind(rule.find, this.skipped));
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

/**
 * Whether a row holds a cell equal to each of `values`, a cell's text being what would name its column (its
 * typed value's text, so a number or date header cell is matched by its text too). A value that is a number
 * also matches a number cell of that value: a csv's `2023.10` is read as the number 2023.1, and its column is
 * named `2023.1`, but the file, a text editor and the files service's inspection show `2023.10`.
 */
export function headerMatcher(find: NonNullable<HeaderRule['find']>): (cells: Value[]) => boolean {
  const trim = find.trim !== false;
  const ci = find.caseInsensitive === true;
  const norm = (s: string) => {
    const t = trim ? s.trim() : s;
    return ci ? t.toLowerCase() : t;
  };
  const wanted = [...new Set(find.values.map(norm))];
  const numbers = wanted.map((w) => parseNumber(w));
  return (cells) => {
    const have = new Set<string>();
    const haveNumbers = new Set<number>();
    for (const v of cells) {
      if (v === null || v === undefined || v === '') continue;
      have.add(norm(toText(v)));
      if (typeof v === 'number') haveNumbers.add(v);
    }
    return wanted.every((w, i) => have.has(w) || (numbers[i] !== null && haveNumbers.has(numbers[i]!)));
  };
}

function describeFind(find: NonNullable<HeaderRule['find']>, searched: number): string {
  const values = find.values.map((v) => JSON.stringify(v)).join(', ');
  const how = [find.caseInsensitive === true ? 'letter case ignored' : '', find.trim !== false ? 'spaces around a cell ignored' : 'spaces counted'].filter(Boolean);
  return `no row has ${find.values.length === 1 ? 'a cell' : 'cells'} equal to ${values} (${how.join(', ')}; ${searched} ${searched === 1 ? 'row' : 'rows'} with a value searched)`;
}
