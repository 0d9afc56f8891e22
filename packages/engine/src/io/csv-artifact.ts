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
 * numbers (csvNumber), so a negative amount stays -5.
 */
export function csvCell(v: Value, delimiter: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? csvNumber(v) : '';
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

/**
 * A number with at most the 15 significant digits Excel ever displays, when its shortest round-trip form has
 * more. Computation is in full doubles (as pandas computes), so 61 times 0.1 totals 6.1000000000000005 and
 * 0.1 + 0.2 is 0.30000000000000004; Excel displays them as 6.1 and 0.3, and a csv is read as text, by people
 * and by the next system, so it carries those digits. A number whose shortest form has 15 digits or
 * fewer is written as it is (every 15-digit decimal is a distinct double, so rounding it to 15 changes
 * nothing), and so is every whole number under 1e21 (its shortest digits that read back as the same double). A small residue (1.4210854715202004e-14 from
 * 100.1 - 50.05 - 50.05) is a value, not noise: it is written to its 15 digits, not as 0. An xlsx cell keeps
 * the full double, and Excel displays at most 15 digits of it itself.
 */
export function csvNumber(v: number): string {
  const s = String(v);
  // 15 characters hold at most 15 digits: most numbers take no more than String().
  // A whole number under 1e21 is written in the shortest digits that read back as the same double (an int64 id
  // read as a number keeps as many of its digits as the double holds), not cut to 15.
  if (s.length <= 15 || (Number.isInteger(v) && Math.abs(v) < 1e21)) return s;
  const shown = Number(v.toPrecision(15));
  // Near the largest double, 15 digits round up past it.
  return shown === v || !Number.isFinite(shown) ? s : String(shown);
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
