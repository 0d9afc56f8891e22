import { EngineError } from '../errors.js';
import type { MemoryBudget } from '../flow/budget.js';
import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';
import { RawRows, type ReadOptions } from './raw-rows.js';
import { readSharedStrings } from './shared-strings.js';
import type { ReadProgress, WorkbookSource } from './workbook-source.js';
import { readXlsxMeta, type XlsxMeta } from './xlsx-meta.js';
import { SheetScanner } from './xlsx-sheet-scanner.js';
import { refuseDoctype } from './xml.js';
import { XmlChunker, rootPrefix } from './xml-chunks.js';
import { ZipInput } from './zip-input.js';

export class XlsxWorkbook implements WorkbookSource {
  private sst: Promise<string[]> | null = null;

  private constructor(
    private readonly zip: ZipInput,
    private readonly meta: XlsxMeta,
    private readonly budget: MemoryBudget,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /**
   * Opens an xlsx spooled to a file (its path) or held in memory; `cleanup` removes the spool when the
   * workbook is closed.
   */
  static async open(source: string | Buffer, budget: MemoryBudget, cleanup: () => Promise<void> = async () => undefined): Promise<XlsxWorkbook> {
    let zip: ZipInput | null = null;
    try {
      zip = await ZipInput.open(source);
      const meta = await readXlsxMeta(zip);
      return new XlsxWorkbook(zip, meta, budget, cleanup);
    } catch (e) {
      zip?.close();
      await cleanup();
      throw e;
    }
  }

  get sheetNames(): string[] {
    return this.meta.sheets.map((s) => s.name);
  }

  private sharedStrings(): Promise<string[]> {
    const part = this.meta.sharedStringsPart;
    this.sst ??= part ? readSharedStrings(this.zip, part, this.budget) : Promise.resolve([]);
    return this.sst;
  }

  async readSheet(name: string, sink: RowSink, ctl: RunControl, options: ReadOptions, progress: ReadProgress) {
    const ref = this.meta.sheets.find((s) => s.name === name);
    if (!ref) throw new EngineError('SHEET_NOT_FOUND', `the workbook has no sheet ${JSON.stringify(name)}`);
    const sst = await this.sharedStrings();
    const raw = new RawRows(sink, options, name);
    let scanner: SheetScanner | null = null;
    const chunker = new XmlChunker(
      () => scanner?.rowClose ?? '</row>',
      (head) => {
        refuseDoctype(head, ref.part);
        scanner = new SheetScanner(rootPrefix(head, 'worksheet'), { sst, dateStyles: this.meta.dateStyles, date1904: this.meta.date1904 }, (cells, row) => raw.push(cells, row));
      },
      (xml) => {
        // Row numbers matter only until a header rule finds its row; the scanner skips them after that.
        scanner!.numbered = raw.locating;
        scanner!.scan(xml);
      },
    );
    const total = this.zip.size(ref.part);
    const stream = await this.zip.open(ref.part);
    let bytes = 0;
    try {
      for await (const chunk of stream) {
        bytes += (chunk as Buffer).length;
        chunker.push(chunk as Buffer);
        if (raw.done) break;
        progress(raw.rows, total > 0 ? bytes / total : undefined);
        await ctl.checkpoint();
      }
      if (!raw.done) chunker.finish();
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError('CORRUPT_FILE', `cannot read sheet ${JSON.stringify(name)}: ${(e as Error).message}`, { cause: e });
    } finally {
      stream.destroy();
    }
    raw.finish();
    return { rows: raw.rows, droppedCells: raw.droppedCells };
  }

  async close(): Promise<void> {
    this.zip.close();
    await this.cleanup();
  }
}
