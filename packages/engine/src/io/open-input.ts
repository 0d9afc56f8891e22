import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors.js';
import type { MemoryBudget } from '../flow/budget.js';
import { CsvWorkbook } from './csv-workbook.js';
import { readFailed } from './source.js';
import type { WorkbookSource } from './workbook-source.js';
import { XlsxWorkbook } from './xlsx-workbook.js';

export type StreamFactory = () => NodeJS.ReadableStream | Promise<NodeJS.ReadableStream>;

export interface InputFile {
  fileName: string;
  open: StreamFactory;
  size?: number;
}

async function openReadable(open: StreamFactory): Promise<Readable> {
  const s = await open();
  return s instanceof Readable ? s : new Readable().wrap(s);
}

/** The file opened again (a csv's sheet read a second time), failing as the first open does. */
export async function reopenInput(input: InputFile): Promise<Readable> {
  try {
    return await openReadable(input.open);
  } catch (e) {
    throw new EngineError('UNSUPPORTED_FILE', `cannot open ${input.fileName}: ${(e as Error).message}`, { cause: e });
  }
}

export function baseName(fileName: string): string {
  const name = fileName.replace(/^.*[\\/]/, '');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * Why a csv input has no sheet of the name a step gives, and what to do instead: its one sheet is named after the
 * file, so a workflow saved with the name of one file's sheet fails on the next file of the chore ("Sales
 * 2026-11.csv"). `output`: the name is an output's `from`, which has no default sheet.
 */
export function csvSheetHint(fileName: string, output = false): string {
  const why = `a csv file is a workbook of one sheet named after the file (${JSON.stringify(fileName)} gives ${JSON.stringify(baseName(fileName))}), so a sheet name that fits one file misses the next`;
  return output
    ? `${why}: have a step that leaves "sheet" out (it reads the input's first sheet, whatever its name) write "into" a sheet of a fixed name, and name that one here`
    : `${why}: leave "sheet" out to read the input's first sheet, whatever its name`;
}

/** An xlsx up to this size is read from memory; a larger one is spooled to a temporary file. */
export const XLSX_IN_MEMORY_BYTES = 8 * 1024 * 1024;

export interface OpenInputOptions {
  /** Overrides XLSX_IN_MEMORY_BYTES (tests use 0 to take the spooled path with small files). */
  inMemoryBytes?: number;
}

function toBuffer(chunk: unknown): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
}

/**
 * Opens an input file as a workbook. The format is decided by the content (a zip is an xlsx; a legacy
 * OLE2 .xls or an encrypted xlsx, which is also OLE2, is refused), the extension only tells a truncated or
 * mislabelled xlsx from a csv. The zip's index is at its end and its sheets are read in any order, each in
 * one pass, so an xlsx is held whole: in memory up to XLSX_IN_MEMORY_BYTES (most uploads, with no
 * filesystem work at all), else in a temporary file.
 */
export async function openInput(input: InputFile, budget: MemoryBudget, options: OpenInputOptions = {}): Promise<WorkbookSource> {
  let stream: Readable;
  try {
    stream = await openReadable(input.open);
  } catch (e) {
    throw new EngineError('UNSUPPORTED_FILE', `cannot open ${input.fileName}: ${(e as Error).message}`, { cause: e });
  }
  // Peeking with for-await would end the stream; read the head through an iterator we keep instead.
  const iterator = stream[Symbol.asyncIterator]();
  const headParts: Buffer[] = [];
  let headLength = 0;
  while (headLength < 65536) {
    let next: IteratorResult<unknown>;
    try {
      next = await iterator.next();
    } catch (e) {
      stream.destroy();
      throw readFailed(input.fileName, e);
    }
    if (next.done) break;
    const b = toBuffer(next.value);
    headParts.push(b);
    headLength += b.length;
  }
  const head = headParts.length === 1 ? headParts[0]! : Buffer.concat(headParts);
  const isZip = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
  const isOle = head.length >= 4 && head.readUInt32BE(0) === 0xd0cf11e0;
  const ext = (/\.([a-z0-9]+)$/i.exec(input.fileName)?.[1] ?? '').toLowerCase();
  if (isZip) return openXlsx(input, head, iterator, budget, options.inMemoryBytes ?? XLSX_IN_MEMORY_BYTES);
  const rest = remainder([head], iterator);
  if (isOle) {
    rest.destroy();
    throw new EngineError('UNSUPPORTED_FILE', `${input.fileName} is a legacy .xls or an encrypted workbook; save it as .xlsx or .csv`);
  }
  if (['xlsx', 'xlsm', 'xltx', 'xls', 'ods', 'numbers', 'zip'].includes(ext)) {
    rest.destroy();
    throw new EngineError('UNSUPPORTED_FILE', `${input.fileName} is not a valid ${ext} file (truncated or mislabelled)`);
  }
  const utf16 = head[0] === 0xff && head[1] === 0xfe;
  if (!utf16 && head.subarray(0, 8192).includes(0)) {
    rest.destroy();
    throw new EngineError('UNSUPPORTED_FILE', `${input.fileName} is neither an xlsx workbook nor a text (csv) file`);
  }
  return new CsvWorkbook(baseName(input.fileName), rest, head, () => reopenInput(input), input.size, input.fileName);
}

/**
 * The bytes already read (let go as they are passed on), then the rest of the source stream. Destroying it
 * (a workbook closed before it was read to the end) ends the source too, which would otherwise stay open,
 * with its file descriptor, until it is collected.
 */
function remainder(first: Buffer[], iterator: AsyncIterator<unknown>): Readable {
  const rest = Readable.from(
    (async function* () {
      for (let b = first.shift(); b !== undefined; b = first.shift()) if (b.length) yield b;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    })(),
    { objectMode: false },
  );
  rest.once('close', () => { void iterator.return?.()?.catch(() => undefined); });
  return rest;
}

async function openXlsx(input: InputFile, head: Buffer, iterator: AsyncIterator<unknown>, budget: MemoryBudget, inMemoryBytes: number): Promise<WorkbookSource> {
  const parts = [head];
  let length = head.length;
  if (input.size === undefined || input.size <= inMemoryBytes) {
    while (length <= inMemoryBytes) {
      let next: IteratorResult<unknown>;
      try {
        next = await iterator.next();
      } catch (e) {
        throw readFailed(input.fileName, e);
      }
      if (next.done) return XlsxWorkbook.open(parts.length === 1 ? head : Buffer.concat(parts, length), budget);
      const b = toBuffer(next.value);
      parts.push(b);
      length += b.length;
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'rowline-engine-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'input.xlsx');
  try {
    await pipeline(remainder(parts, iterator), createWriteStream(path));
  } catch (e) {
    await cleanup();
    throw readFailed(input.fileName, e);
  }
  return XlsxWorkbook.open(path, budget, cleanup);
}
