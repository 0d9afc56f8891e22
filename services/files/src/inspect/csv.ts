import type { ColumnInfo, ColumnType } from '../domain/types.js';
import { columnNames } from '@rowline/engine';
import { csvCellType, mergeType } from './column-types.js';

export type CsvLimits = {
  sampleRows: number; maxColumns: number; maxCellChars: number; maxHeadChars: number;
  /**
   * Any one row, anywhere in the file: more fields or more bytes than these and the file is refused. The
   * engine's reader (csv-parse) builds a whole record in memory before it sees it, so one row of 10 MiB of
   * commas cost a run 665 MB, and larger ones take a worker's whole heap.
   */
  maxRowFields: number;
  maxRowBytes: number;
};
export const CSV_LIMITS: CsvLimits = {
  sampleRows: 100, maxColumns: 16_384, maxCellChars: 1024, maxHeadChars: 64 * 1024, maxRowFields: 16_384, maxRowBytes: 8 * 1024 * 1024,
};

export type CsvScan =
  /** `unclosedQuote`: the text ends inside a quoted field, which the engine's csv reader refuses. */
  | {
    text: true; empty: boolean; rowCount: number; columns: ColumnInfo[]; delimiter: string; unclosedQuote: boolean;
    /** Which row limit some row broke, if any (`maxRowFields`, `maxRowBytes`). */
    oversizedRow: 'fields' | 'bytes' | null;
  }
  | { text: false; problem: 'nul' | 'encoding' };

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a csv as it streams past, in constant memory: whether it is UTF-8 text without NUL bytes, its
 * header row, the types of the first rows' cells, and how many rows follow the header. Quoted fields may
 * hold delimiters, newlines and doubled quotes; a stray quote inside an unquoted field is kept as text.
 * A line with no value (blank, or only delimiters and empty quoted fields) is not a row, as in the engine;
 * CRLF, LF and CR each end a line, mixed or not, as in the engine. Quotes open and close as in the engine's reader (csv-parse with `relax_quotes`),
 * so a text that ends inside a quoted field, which the engine refuses, is seen here too.
 */
export class CsvScanner {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private problem: 'nul' | 'encoding' | null = null;
  private head: string | null = '';
  private delimiter = 0x2c;
  private inQuotes = false;
  private quoteClosed = false;
  private pendingCr = false;
  private fieldStarted = false;
  private recordStarted = false;
  /** Whether the record read so far holds a character of a value (an opening quote is none). */
  private hasValue = false;
  private field = '';
  private record: string[] = [];
  private header: string[] | null = null;
  private types: ColumnType[] = [];
  private dataRows = 0;
  /** The current row's fields so far (delimiters seen, plus one) and bytes so far, and the first limit broken. */
  private rowFields = 1;
  private rowBytes = 0;
  private oversizedRow: 'fields' | 'bytes' | null = null;

  constructor(private readonly limits: CsvLimits = CSV_LIMITS) {}

  push(chunk: Buffer): void {
    if (this.problem) return;
    if (chunk.includes(0)) { this.problem = 'nul'; return; }
    let text: string;
    try { text = this.decoder.decode(chunk, { stream: true }); } catch { this.problem = 'encoding'; return; }
    // Past the sample the decoded text only proves the bytes are UTF-8; rows are counted on the bytes,
    // which is safe because quotes, delimiters, CR and LF never occur inside a multi-byte sequence.
    if (this.head === null && !this.collecting) this.count(chunk, 0);
    else this.feed(text);
  }

  finish(): CsvScan {
    if (!this.problem) {
      try { this.feed(this.decoder.decode()); } catch { this.problem = 'encoding'; }
    }
    if (this.problem) return { text: false, problem: this.problem };
    if (this.head !== null) this.start();
    const unclosedQuote = this.inQuotes;
    this.endRecord();
    const header = this.header ?? [];
    return {
      text: true,
      unclosedQuote,
      empty: this.header === null,
      rowCount: this.dataRows,
      columns: columnNames(header).map((name, i) => ({ name, type: this.types[i] ?? 'EMPTY' })),
      delimiter: String.fromCharCode(this.delimiter),
      oversizedRow: this.oversizedRow,
    };
  }

  /** Holds text back until the first line is complete, because the delimiter is chosen from it. */
  private feed(text: string): void {
    if (this.head === null) { this.parse(text); return; }
    this.head += text;
    if (this.head.length < this.limits.maxHeadChars && !firstLineEnds(this.head)) return;
    this.start();
  }

  private start(): void {
    const head = this.head ?? '';
    this.head = null;
    this.delimiter = sniffDelimiter(head);
    this.parse(head);
  }

  private parse(s: string): void {
    let i = 0;
    while (i < s.length && this.collecting) i = this.parseRecord(s, i);
    if (i < s.length) this.count(Buffer.from(s.slice(i)), 0);
  }

  /** Reads cells from `from` to the end of the current record; returns where the next record starts. */
  private parseRecord(s: string, from: number): number {
    const delimiter = this.delimiter;
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // UTF-8 bytes of this UTF-16 unit (a surrogate pair's 4 bytes, as 2 + 2), as count() sees them.
      this.rowBytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
      if (this.inQuotes) {
        if (c === QUOTE) { this.inQuotes = false; this.quoteClosed = true; } else this.append(s[i]!);
        continue;
      }
      if (this.quoteClosed) {
        this.quoteClosed = false;
        if (c === QUOTE) { this.inQuotes = true; this.append('"'); continue; }
      }
      if (this.pendingCr) {
        this.pendingCr = false;
        // The LF of a CRLF ends the row before, not this one.
        if (c === LF) { this.rowBytes--; continue; }
      }
      if (c === delimiter) { this.endField(); this.recordStarted = true; this.rowFields++; this.checkRow(); continue; }
      if (c === LF || c === CR) {
        this.pendingCr = c === CR;
        this.endRecord();
        this.rowBytes--; // the line end is not the row's
        this.checkRow();
        this.rowFields = 1;
        this.rowBytes = 0;
        return i + 1;
      }
      if (c === QUOTE && !this.fieldStarted) { this.inQuotes = true; this.fieldStarted = true; continue; }
      this.append(s[i]!);
    }
    this.checkRow();
    return s.length;
  }

  private checkRow(): void {
    if (this.oversizedRow) return;
    if (this.rowFields > this.limits.maxRowFields) this.oversizedRow = 'fields';
    else if (this.rowBytes > this.limits.maxRowBytes) this.oversizedRow = 'bytes';
  }

  /**
   * The same state machine as parseRecord, on bytes and without keeping any text: past the sample, rows are
   * only counted, and this loop (locals only, one byte at a time) is what a large upload spends its time in.
   */
  private count(bytes: Buffer, from: number): void {
    const delimiter = this.delimiter;
    let { inQuotes, quoteClosed, pendingCr, fieldStarted, recordStarted, hasValue, rowFields } = this;
    const { maxRowFields } = this.limits;
    // The row's bytes are known from where it started in this chunk: no per-byte addition in this loop.
    let rowStart = from - this.rowBytes;
    let rows = 0;
    for (let i = from; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (inQuotes) {
        if (c === QUOTE) { inQuotes = false; quoteClosed = true; } else hasValue = true;
        continue;
      }
      if (quoteClosed) {
        quoteClosed = false;
        if (c === QUOTE) { inQuotes = true; hasValue = true; continue; }
      }
      if (pendingCr) {
        pendingCr = false;
        // The LF of a CRLF ends the row before, not this one.
        if (c === LF) { rowStart = i + 1; continue; }
      }
      if (c === delimiter) {
        fieldStarted = false; recordStarted = true;
        if (++rowFields > maxRowFields) this.oversizedRow ??= 'fields';
        continue;
      }
      if (c === LF || c === CR) {
        pendingCr = c === CR;
        if (hasValue) rows++;
        recordStarted = fieldStarted = hasValue = false;
        if (i - rowStart > this.limits.maxRowBytes) this.oversizedRow ??= 'bytes';
        rowFields = 1;
        rowStart = i + 1;
        continue;
      }
      if (c === QUOTE && !fieldStarted) inQuotes = true;
      else hasValue = true;
      fieldStarted = true;
    }
    this.rowBytes = bytes.length - rowStart;
    Object.assign(this, { inQuotes, quoteClosed, pendingCr, fieldStarted, recordStarted, hasValue, rowFields });
    this.checkRow();
    this.dataRows += rows;
  }

  /** Cell text is kept only while the header and the sampled rows are read; later rows are only counted. */
  private append(ch: string): void {
    this.fieldStarted = true;
    this.hasValue = true;
    if (this.collecting && this.field.length < this.limits.maxCellChars) this.field += ch;
  }

  private get collecting(): boolean {
    return this.header === null || this.dataRows < this.limits.sampleRows;
  }

  private endField(): void {
    if (this.collecting && this.record.length < this.limits.maxColumns) this.record.push(this.field);
    this.field = '';
    this.fieldStarted = false;
  }

  private endRecord(): void {
    if (!this.hasValue) {
      // A line with no value is neither the header nor a row.
      this.field = '';
      this.record = [];
      this.fieldStarted = this.recordStarted = false;
      return;
    }
    this.hasValue = false;
    this.endField();
    if (this.header === null) {
      this.header = this.record;
    } else {
      if (this.dataRows < this.limits.sampleRows) {
        this.record.forEach((cell, i) => {
          if (i < this.header!.length) this.types[i] = mergeType(this.types[i] ?? 'EMPTY', csvCellType(cell));
        });
      }
      this.dataRows++;
    }
    this.record = [];
    this.recordStarted = false;
  }
}

function firstLineEnds(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && (c === LF || c === CR)) return true;
  }
  return false;
}

/** Of comma, semicolon and tab, the one the first line uses most outside quotes (comma on a tie). */
export function sniffDelimiter(head: string): number {
  const counts = new Map<number, number>([[0x2c, 0], [0x3b, 0], [0x09, 0]]);
  let quoted = false;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && (c === LF || c === CR)) break;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = 0x2c;
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}
