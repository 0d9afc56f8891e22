import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { EngineError } from '../errors.js';
import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import { isLongInteger, parseIsoDate, parseNumber, toSpreadsheetPrecision, type Value } from '../values.js';
import { sourceChunks } from './source.js';
import { headerMatcher, RawRows, type HeaderRule, type ReadOptions } from './raw-rows.js';
import type { ReadProgress, TextColumns, WorkbookSource } from './workbook-source.js';

/**
 * The largest csv record the reader builds: the engine's own bound behind the files service's check at upload
 * (services/files, inspect/csv.ts: the same 16,384 fields and 8 MiB). csv-parse builds a whole record in memory
 * before the reader sees it, and nothing of it is in the run's MemoryBudget, so a file that reached storage
 * without that check could hold a row that takes a worker's memory: measured before this bound, a 200 MB field
 * cost a run 720 MB of RSS, 8 MB of commas (8 million empty fields) 500 MB, and 200 MB of commas 3 GB before
 * the run failed. Characters are csv-parse's `max_record_size` (the fields' characters, delimiters and quotes
 * aside); fields are counted on the record being built after every slice written to the parser.
 */
export const CSV_MAX_RECORD_CHARS = 8 * 1024 * 1024;
export const CSV_MAX_RECORD_FIELDS = 16_384;
/** Input is written to the parser in slices of at most this, so a record passes the field bound by a slice at most. */
const WRITE_SLICE_BYTES = 1024 * 1024;

/** A csv file: a workbook of one sheet named after the file. Parsing is csv-parse's (quotes, BOM, CRLF, LF or CR). */
export class CsvWorkbook implements WorkbookSource {
  readonly sheetNames: string[];
  readonly csvFileName: string;
  private first: Readable | null;

  constructor(
    sheetName: string,
    firstStream: Readable,
    private readonly head: Buffer,
    private readonly reopen: () => Promise<Readable>,
    private readonly size: number | undefined,
    private readonly fileName: string,
  ) {
    this.sheetNames = [sheetName];
    this.csvFileName = fileName;
    this.first = firstStream;
  }

  async readSheet(name: string, sink: RowSink, ctl: RunControl, options: ReadOptions, progress: ReadProgress, asText?: TextColumns) {
    if (name !== this.sheetNames[0]) throw new EngineError('SHEET_NOT_FOUND', `the csv file has no sheet ${JSON.stringify(name)}`);
    // The stream opened to detect the format serves the first read; a second read of the sheet reopens the file.
    const input = this.first ?? (await this.reopen());
    this.first = null;
    const raw = new RawRows(sink, options, name);
    // Which cells of a data row stay text, by column: undefined until the header is known, null when none does.
    let textMask: boolean[] | null | undefined = asText === undefined ? null : undefined;
    const utf16 = this.head[0] === 0xff && this.head[1] === 0xfe;
    let delimiter: string;
    // What is parsed: the input, or, when the header's line was looked for past the head, what was read ahead first.
    let chunks: AsyncIterable<unknown> = sourceChunks(input, this.fileName);
    if (options.header === undefined || /\.tsv$/i.test(this.fileName)) delimiter = sniffDelimiter(this.head.toString(utf16 ? 'utf16le' : 'utf8'), this.fileName);
    else {
      try {
        ({ delimiter, chunks } = await this.headerDelimiter(input, utf16 ? 'utf16le' : 'utf8', options.header, ctl));
      } catch (e) {
        input.destroy();
        throw e;
      }
    }
    // An error of a step downstream must surface as itself, not as csv-parse's "callback failed".
    let failure: unknown = null;
    const parser = parse({
      delimiter,
      bom: true,
      encoding: utf16 ? 'utf16le' : 'utf8',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      // Any line ending ends a record, however they are mixed (a file pasted together from two systems):
      // csv-parse otherwise takes the first one it meets as the only one, and a later bare LF or CR became
      // part of a cell, merging lines into one row with values like "2\n3".
      record_delimiter: ['\r\n', '\n', '\r'],
      max_record_size: CSV_MAX_RECORD_CHARS,
      // Rows are taken here, synchronously, and never queued in the parser's readable side.
      on_record: (rec: string[], info) => {
        if (failure === null) {
          try {
            // A record that grew past the bound within the last slice written.
            if (rec.length > CSV_MAX_RECORD_FIELDS) throw tooManyFields(info.lines);
            if (textMask === undefined && raw.header !== null) {
              const mask = raw.header.map((c) => asText === 'all' || asText!.has(c));
              textMask = mask.includes(true) ? mask : null;
            }
            // A row's number is its record's, blank lines counted: the row a spreadsheet shows it on.
            raw.push(textMask ? typedExcept(rec, textMask) : rec.map(inferCsvValue), info.records);
          } catch (e) {
            failure = e;
          }
        }
        return null;
      },
    });
    const failed = new Promise<never>((_, reject) => parser.once('error', (e) => reject(csvError(e))));
    failed.catch(() => undefined);
    const finished = new Promise<void>((resolve) => parser.once('finish', () => resolve()));
    parser.resume();
    // The record csv-parse is building: `state` is its stream's own (kept public for compatibility, not typed).
    const building = (parser as unknown as { state: { record: unknown[] } }).state;
    let bytes = 0;
    try {
      for await (const chunk of chunks) {
        const buf = chunk as Buffer;
        bytes += buf.length;
        for (let at = 0; at < buf.length; at += WRITE_SLICE_BYTES) {
          const slice = buf.length <= WRITE_SLICE_BYTES ? buf : buf.subarray(at, at + WRITE_SLICE_BYTES);
          if (!parser.write(slice)) await Promise.race([new Promise((r) => parser.once('drain', r)), failed]);
          if (failure !== null) throw failure;
          if (building.record.length > CSV_MAX_RECORD_FIELDS) throw tooManyFields(parser.info.lines);
        }
        if (raw.done) break;
        progress(raw.rows, this.size ? bytes / this.size : undefined);
        await Promise.race([ctl.checkpoint(), failed]);
      }
      if (!raw.done) {
        parser.end();
        await Promise.race([finished, failed]);
        if (failure !== null) throw failure;
      }
    } finally {
      input.destroy();
      parser.destroy();
    }
    raw.finish();
    return { rows: raw.rows, droppedCells: raw.droppedCells };
  }

  /**
   * The delimiter of a sheet read under a header rule: that of the header's line (headerLineDelimiter), looked for
   * in the head and, when it is not there and the file goes on, in the file's first HEADER_SEARCH_BYTES, read
   * ahead from `input` and handed back to be parsed first; else the first line's, as without a rule.
   */
  private async headerDelimiter(input: Readable, encoding: 'utf8' | 'utf16le', rule: HeaderRule, ctl: RunControl): Promise<{ delimiter: string; chunks: AsyncIterable<unknown> }> {
    const headText = this.head.subarray(0, HEADER_SEARCH_BYTES).toString(encoding);
    const more = this.head.length < HEADER_SEARCH_BYTES && (this.size === undefined || this.head.length < this.size);
    const inHead = headerLineDelimiter(headText, rule, !more);
    if (inHead !== undefined || !more) return { delimiter: inHead ?? sniffDelimiter(headText, this.fileName), chunks: sourceChunks(input, this.fileName) };
    // The input starts at the file's first byte (the head comes again first), so what is read ahead is parsed as is.
    const iterator = sourceChunks(input, this.fileName);
    const ahead: Buffer[] = [];
    let length = 0;
    while (length < HEADER_SEARCH_BYTES) {
      ctl.throwIfAborted();
      const next = await iterator.next();
      if (next.done) break;
      const b = next.value as Buffer;
      ahead.push(b);
      length += b.length;
    }
    const text = Buffer.concat(ahead, Math.min(length, HEADER_SEARCH_BYTES)).toString(encoding);
    return { delimiter: headerLineDelimiter(text, rule, true) ?? sniffDelimiter(headText, this.fileName), chunks: readAhead(ahead, iterator) };
  }

  async close(): Promise<void> {
    this.first?.destroy();
  }
}

/** The chunks read ahead (let go as they are passed on), then the rest of the input. */
async function* readAhead(ahead: Buffer[], rest: AsyncIterator<unknown>): AsyncGenerator<unknown> {
  for (let b = ahead.shift(); b !== undefined; b = ahead.shift()) yield b;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function csvError(e: unknown): EngineError {
  const { code, lines } = e as { code?: string; lines?: number };
  if (code === 'CSV_MAX_RECORD_SIZE') {
    return new EngineError('TOO_LARGE', `the row at line ${lines} of the csv file holds more than ${CSV_MAX_RECORD_CHARS} characters`, { cause: e });
  }
  return new EngineError('CORRUPT_FILE', `cannot parse the csv file: ${(e as Error).message}`, { cause: e });
}

function tooManyFields(line: number): EngineError {
  return new EngineError('TOO_LARGE', `the row at line ${line} of the csv file has more than ${CSV_MAX_RECORD_FIELDS} fields`);
}

/** The delimiter among `,`, `;` and tab that occurs most in the first line, outside quotes. */
export function sniffDelimiter(head: string, fileName: string): string {
  if (/\.tsv$/i.test(fileName)) return '\t';
  const counts = delimiterCounts(head);
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

/** How often `,`, `;` and tab occur in the first line of `text`, outside quotes (in that order). */
function delimiterCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>([[',', 0], [';', 0], ['\t', 0]]);
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  return counts;
}

/**
 * How much of the file's start is searched for a header rule's line. The head (the first 64 KB or more) holds
 * most headers; a report's parameters or a long disclaimer can push one past it. Past this, a header is no
 * title's.
 */
export const HEADER_SEARCH_BYTES = 1024 * 1024;

/**
 * The delimiter of the header's line, sniffed from it rather than from a title above it ("Statement, January
 * 2024" would give `,` to a bank's `;` export): the record of the rule's number, or the first whose cells, split
 * by a candidate delimiter (the line's most frequent first), hold each value looked for, as RawRows compares
 * them. `text` is the file's start; undefined when none of its records is the header's, the last record (which
 * may be cut short) counted only when `complete`. Records end as the parser ends them (CRLF, LF or CR outside
 * quotes).
 */
export function headerLineDelimiter(text: string, rule: HeaderRule, complete: boolean): string | undefined {
  const matches = rule.find ? headerMatcher(rule.find) : null;
  let record = 0;
  for (const line of headRecords(text, complete)) {
    record++;
    if (rule.row === record) return sniffDelimiter(line, '');
    if (!matches) continue;
    const counts = delimiterCounts(line);
    for (const d of [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!)) {
      const cells = splitLine(line, d);
      if (cells !== null && matches(cells.map(inferCsvValue))) return d;
    }
  }
  return undefined;
}

/**
 * The records of `head`, split on line ends outside quoted cells; the last, which may be cut short, only if
 * `last`. Quotes are read as the parser reads them (relax_quotes): a quote opens a quoted cell only at a cell's
 * start (a line's, or after `,`, `;` or tab, the delimiter being unknown yet), `""` in it is a quote, and any
 * other quote closes it; elsewhere a quote is a character. Toggling at every quote, a title such as
 * `Inventory of 27" monitors` joined every line after it into one record, and the header's line was never found.
 */
function* headRecords(head: string, last: boolean): Generator<string> {
  // The parser drops a byte order mark.
  let start = head.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let cellStart = true;
  for (let i = start; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (quoted) {
      if (c === 34) {
        if (head.charCodeAt(i + 1) === 34) i++;
        else quoted = false;
      }
    } else if (c === 10 || c === 13) {
      yield head.slice(start, i);
      if (c === 13 && head.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
      cellStart = true;
    } else if (c === 34 && cellStart) {
      quoted = true;
      cellStart = false;
    } else cellStart = c === 44 || c === 59 || c === 9;
  }
  if (last && start < head.length) yield head.slice(start);
}

/**
 * A line's cells split on `d` outside quotes, a quoted cell unquoted (enough to recognise a header); null past
 * CSV_MAX_RECORD_FIELDS cells, a row the parser refuses (TOO_LARGE), which is not built here either.
 */
function splitLine(line: string, d: string): string[] | null {
  const cells: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (i === line.length || (!quoted && c === d)) {
      if (cells.length === CSV_MAX_RECORD_FIELDS) return null;
      const cell = line.slice(start, i);
      cells.push(cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell);
      start = i + 1;
    }
  }
  return cells;
}

/** `rec` typed as inferCsvValue types it, but for the cells `text` marks, which stay as the file wrote them. */
function typedExcept(rec: string[], text: readonly boolean[]): Value[] {
  const out: Value[] = new Array(rec.length);
  for (let i = 0; i < rec.length; i++) {
    const s = rec[i]!;
    out[i] = text[i] === true ? (s === '' ? null : s) : inferCsvValue(s);
  }
  return out;
}

/**
 * csv cells are text; like spreadsheet programs we read plain decimal numbers as numbers, ISO dates as
 * dates and true/false as booleans, spaces and tabs around them aside. Text with leading zeros (ids, zip codes) stays text, and so does an
 * unsigned whole number of more than 15 digits (a card number, a bank or order reference): a number keeps 15
 * digits in a spreadsheet and about 16 in a double, so 1234567890123456789 would lose its last digits (the
 * double 1234567890123456768), and two such ids would meet in a lookup or a dedupe.
 */
export function inferCsvValue(s: string): Value {
  if (s === '') return null;
  const c = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (c === 32 || c === 9 || last === 32 || last === 9) {
    // Spaces or tabs around a number, date or boolean are layout ("1, 19.99" written by hand, a padded
    // export), as Excel reads them (and pandas, numbers); text keeps them.
    const t = trimSpacesAndTabs(s);
    const v = t === '' ? s : inferCsvValue(t);
    return typeof v === 'string' ? s : v;
  }
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const n = parseNumber(s);
    // An id is unsigned: a signed whole number of 16 digits or more ("-1234567890123456789") is a quantity
    // and stays a number, as it always was.
    if (n !== null && s.trim() === s) return s.length <= 15 ? n : c <= 57 && c >= 48 && isLongInteger(s) ? s : toSpreadsheetPrecision(n);
    if (s.length >= 10 && s.charCodeAt(4) === 45) {
      const d = parseIsoDate(s);
      if (d) return d;
    }
    return s;
  }
  if (s.length === 4 || s.length === 5) {
    const l = s.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return s;
}

/**
 * `s` without the spaces and tabs at either end, in one pass from each end. The regex it replaces,
 * /^[ \t]+|[ \t]+$/g, is quadratic on a run of blanks inside a cell (its second branch is tried at every
 * blank and scans the run to its end each time): one 200,000-character cell took 43 s and held the event loop.
 */
function trimSpacesAndTabs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
