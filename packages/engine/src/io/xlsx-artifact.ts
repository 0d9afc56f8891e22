import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import type { Row } from '../values.js';
import { finished, openOutput, type ArtifactResult, type ArtifactWriter, type OpenArtifact } from './artifact.js';
import { Spool } from './spool.js';
import type { TempDir } from './temp-dir.js';
import { contentTypes, ROOT_RELS, STYLES, workbook, workbookRels } from './xlsx-package-parts.js';
import { RowXml, SHEET_HEAD, SHEET_TAIL } from './xlsx-row-xml.js';
import { deflateEntry, ZipWriter, type DeflatedEntry, type ZipEntry } from './zip-writer.js';

const FLUSH_CHARS = 128 * 1024;
/** The grid of an Excel worksheet. */
const EXCEL_ROWS = 1_048_576;
const EXCEL_COLUMNS = 16_384;
/** Deflate level 1: sheet XML is repetitive enough that level 6 buys ~15% size for ~3x the CPU. */
const LEVEL = 1;

/**
 * The package parts (content types, relationships, workbook, styles) deflated once per distinct text: they
 * depend only on the number and names of the sheets, so most runs write parts seen before, and deflating
 * them again cost a small run more than its sheet did. Pure data, bounded: cleared when full.
 */
const deflatedParts = new Map<string, DeflatedEntry>();
const MAX_DEFLATED_PARTS = 256;
/** A workbook part listing thousands of sheets is not worth keeping. */
const MAX_CACHED_CHARS = 16 * 1024;

function deflatedPart(text: string): DeflatedEntry {
  let d = deflatedParts.get(text);
  if (d === undefined) {
    d = deflateEntry(Buffer.from(text, 'utf8'), LEVEL);
    if (text.length > MAX_CACHED_CHARS) return d;
    if (deflatedParts.size >= MAX_DEFLATED_PARTS) deflatedParts.clear();
    deflatedParts.set(text, d);
  }
  return d;
}

/**
 * Streams an xlsx: each sheet's XML goes through deflate into a zip piped to the caller's stream. A zip
 * holds one entry after another, so only one sheet at a time can stream straight into it; a sheet that fills
 * while another is streaming is spooled (spool.ts) and added when the artifact is finished, after the last pass.
 */
export class XlsxArtifact implements ArtifactWriter {
  private readonly zip = new ZipWriter(LEVEL);
  private readonly sheets: XlsxSheet[] = [];
  private readonly names = new Set<string>();
  private live: XlsxSheet | null = null;
  private closing: Promise<void> = Promise.resolve();
  private opened: Promise<NodeJS.WritableStream> | null = null;

  constructor(
    readonly name: string,
    private readonly openArtifact: OpenArtifact,
    readonly ctl: RunControl,
    readonly tmp: TempDir,
  ) {}

  sheet(name: string, order: number): RowSink {
    const s = new XlsxSheet(this, this.uniqueName(name), order, this.sheets.length + 1);
    this.sheets.push(s);
    return s;
  }

  /** Excel sheet names: at most 31 characters, none of : \ / ? * [ ], unique ignoring case. */
  private uniqueName(raw: string): string {
    const base = (raw.replace(/[:\\/?*[\]]/g, '_').replace(/^'+|'+$/g, '').slice(0, 31) || 'Sheet');
    let name = base;
    for (let k = 2; this.names.has(name.toLowerCase()); k++) name = `${base.slice(0, 31 - String(k).length - 3)} (${k})`;
    this.names.add(name.toLowerCase());
    return name;
  }

  private open(): Promise<NodeJS.WritableStream> {
    this.opened ??= openOutput(this.openArtifact, this.name, 'xlsx', this.ctl).then((out) => {
      this.zip.output.pipe(out as NodeJS.WritableStream);
      return out;
    });
    return this.opened;
  }

  /** A sheet starts: it streams into the zip if no other sheet does, else it spools. */
  claim(sheet: XlsxSheet): ZipEntry | null {
    if (this.live !== null) return null;
    this.live = sheet;
    this.ctl.waitFor(this.open());
    return this.zip.entry(`xl/worksheets/sheet${sheet.part}.xml`);
  }

  /** The live sheet has ended: its entry must be closed before another sheet may stream. */
  release(sheet: XlsxSheet, closing: Promise<void>): void {
    if (this.live !== sheet) return;
    this.ctl.waitFor(closing);
    this.closing = closing.then(() => {
      if (this.live === sheet) this.live = null;
    });
    // Awaited by finish; a run that fails first must not leave it as an unhandled rejection.
    this.closing.catch(() => undefined);
  }

  warnings(): string[] {
    const cut = this.sheets.reduce((n, s) => n + s.xml.truncated, 0);
    const out = cut ? [`${this.name}: ${cut} text cells were longer than 32767 characters and were cut`] : [];
    // The file holds them all, but Excel loads a sheet only up to its grid and says little more than that.
    for (const s of this.sheets) {
      const rows = s.rows + (s.width > 0 ? 1 : 0);
      if (rows > EXCEL_ROWS) out.push(`${this.name}: sheet ${JSON.stringify(s.name)} has ${rows} rows with its header; Excel opens the first ${EXCEL_ROWS} only (write it as csv, or split it)`);
      if (s.width > EXCEL_COLUMNS) out.push(`${this.name}: sheet ${JSON.stringify(s.name)} has ${s.width} columns; Excel opens the first ${EXCEL_COLUMNS} only`);
    }
    return out;
  }

  async finish(): Promise<ArtifactResult> {
    if (this.sheets.length === 0) {
      // Excel refuses a workbook without sheets.
      const empty = this.sheet('Sheet1', 0);
      empty.begin([]);
      empty.end();
    }
    const out = await this.open();
    const done = finished(out);
    await this.ctl.abortable(this.closing);
    for (const s of this.sheets) {
      if (!s.ended) throw new Error(`internal: sheet ${s.name} of ${this.name} did not end`);
      if (s.spool) await this.ctl.abortable(this.zip.addStream(`xl/worksheets/sheet${s.part}.xml`, await s.spool.readable()));
    }
    const ordered = [...this.sheets].sort((a, b) => a.order - b.order);
    const n = this.sheets.length;
    this.ctl.throwIfAborted();
    const add = (text: string, path: string) => this.zip.addDeflated(path, deflatedPart(text));
    add(contentTypes(n), '[Content_Types].xml');
    add(ROOT_RELS, '_rels/.rels');
    add(workbook(ordered.map((s) => ({ name: s.name, part: s.part }))), 'xl/workbook.xml');
    add(workbookRels(n), 'xl/_rels/workbook.xml.rels');
    add(STYLES, 'xl/styles.xml');
    this.zip.finish();
    await this.ctl.abortable(done);
    return { name: this.name, format: 'xlsx', rows: this.sheets.reduce((a, s) => a + s.rows, 0), sheets: ordered.map((s) => s.name) };
  }
}

class XlsxSheet implements RowSink {
  xml = new RowXml(0);
  spool: Spool | null = null;
  private entry: ZipEntry | null = null;
  private buf = '';
  private n = 0;
  rows = 0;
  width = 0;
  ended = false;

  constructor(
    private readonly artifact: XlsxArtifact,
    readonly name: string,
    readonly order: number,
    readonly part: number,
  ) {}

  begin(columns: string[]): void {
    this.entry = this.artifact.claim(this);
    if (this.entry === null) this.spool = new Spool(this.artifact.tmp, this.artifact.ctl);
    this.width = columns.length;
    this.xml = new RowXml(columns.length);
    this.buf = SHEET_HEAD;
    if (columns.length) this.buf += this.xml.row(++this.n, columns);
  }

  row(r: Row): void {
    this.rows++;
    this.buf += this.xml.row(++this.n, r);
    if (this.buf.length > FLUSH_CHARS) this.flush();
  }

  private flush(): void {
    const text = this.buf;
    this.buf = '';
    if (this.entry) {
      if (!this.entry.write(text)) this.artifact.ctl.waitFor(this.entry.drained());
    } else this.spool!.write(text);
  }

  end(): void {
    this.buf += SHEET_TAIL;
    this.flush();
    this.ended = true;
    if (this.entry) this.artifact.release(this, this.entry.end());
  }
}
