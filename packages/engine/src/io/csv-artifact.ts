import { EngineError } from '../errors.js';
import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import { formatDate, type Row, type Value } from '../values.js';
import { finished, openOutput, type ArtifactResult, type ArtifactWriter, type OpenArtifact } from './artifact.js';

export interface CsvOptions {
  delimiter?: string;
  /** A UTF-8 byte order mark, which Excel needs to read non-ASCII text right. */
  bom?: boolean;
}

const FLUSH_CHARS = 128 * 1024;

/**
 * A csv cell. Text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
 * return) is prefixed with a single quote, as OWASP's CSV-injection guidance says; numbers are written as
 * numbers, so a negative amount stays -5.
 */
export function csvCell(v: Value, delimiter: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return formatDate(v);
  let s = v;
  const c = s.charCodeAt(0);
  if (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13) s = "'" + s;
  if (s.includes('"') || s.includes(delimiter) || s.includes('\n') || s.includes('\r') || s.charCodeAt(0) === 39) {
    return '"' + s.replace(/"/g, '""') + '"';
  }
  return s;
}

/** One sheet written as csv (RFC 4180 quoting, CRLF line ends), streamed to the caller's stream. */
export class CsvArtifact implements ArtifactWriter, RowSink {
  private out: NodeJS.WritableStream | null = null;
  private opening: Promise<NodeJS.WritableStream> | null = null;
  private buf = '';
  private rows = 0;
  private sheetName = '';
  private readonly delimiter: string;

  constructor(
    readonly name: string,
    private readonly openArtifact: OpenArtifact,
    private readonly ctl: RunControl,
    private readonly options: CsvOptions = {},
  ) {
    this.delimiter = options.delimiter ?? ',';
  }

  sheet(name: string): RowSink {
    if (this.sheetName) throw new EngineError('INVALID_STEPS', `csv artifact ${this.name} can hold one sheet only`);
    this.sheetName = name;
    return this;
  }

  private line(values: readonly Value[]): string {
    let s = '';
    for (let i = 0; i < values.length; i++) {
      if (i) s += this.delimiter;
      s += csvCell(values[i] ?? null, this.delimiter);
    }
    return s + '\r\n';
  }

  begin(columns: string[]): void {
    this.opening = openOutput(this.openArtifact, this.name, 'csv', this.ctl).then((o) => (this.out = o));
    this.ctl.waitFor(this.opening);
    this.buf = (this.options.bom ? '\uFEFF' : '') + (columns.length ? this.line(columns) : '');
  }

  row(r: Row): void {
    this.rows++;
    this.buf += this.line(r);
    if (this.buf.length > FLUSH_CHARS && this.out) this.flush();
  }

  private flush(): void {
    const out = this.out!;
    const text = this.buf;
    this.buf = '';
    if (!out.write(text, 'utf8')) this.ctl.waitFor(new Promise((r) => out.once('drain', r)));
  }

  end(): void {
    if (this.out) this.flush();
  }

  warnings(): string[] {
    return [];
  }

  async finish(): Promise<ArtifactResult> {
    this.opening ??= openOutput(this.openArtifact, this.name, 'csv', this.ctl).then((o) => (this.out = o));
    const out = await this.opening;
    const done = finished(out);
    out.end(this.buf, 'utf8');
    this.buf = '';
    await this.ctl.abortable(done);
    return { name: this.name, format: 'csv', rows: this.rows, sheets: this.sheetName ? [this.sheetName] : [] };
  }
}
