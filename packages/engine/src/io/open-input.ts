import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors.js';
import type { MemoryBudget } from '../flow/budget.js';
import { CsvWorkbook } from './csv-workbook.js';
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

export function baseName(fileName: string): string {
  const name = fileName.replace(/^.*[\\/]/, '');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/**
 * Opens an input file as a workbook. The format is decided by the content (a zip is an xlsx; a legacy
 * OLE2 .xls or an encrypted xlsx, which is also OLE2, is refused), the extension only tells a truncated or
 * mislabelled xlsx from a csv. An xlsx is spooled to a temporary file first: the zip's index is at its end,
 * and its sheets are read in any order, each in one pass.
 */
export async function openInput(input: InputFile, budget: MemoryBudget): Promise<WorkbookSource> {
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
    const next = await iterator.next();
    if (next.done) break;
    const b = Buffer.isBuffer(next.value) ? (next.value as Buffer) : Buffer.from(next.value as string);
    headParts.push(b);
    headLength += b.length;
  }
  const head = Buffer.concat(headParts);
  const rest = Readable.from(
    (async function* () {
      if (head.length) yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    })(),
    { objectMode: false },
  );
  const isZip = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
  const isOle = head.length >= 4 && head.readUInt32BE(0) === 0xd0cf11e0;
  const ext = (/\.([a-z0-9]+)$/i.exec(input.fileName)?.[1] ?? '').toLowerCase();
  if (isOle) {
    rest.destroy();
    throw new EngineError('UNSUPPORTED_FILE', `${input.fileName} is a legacy .xls or an encrypted workbook; save it as .xlsx or .csv`);
  }
  if (isZip) {
    const dir = await mkdtemp(join(tmpdir(), 'rowline-engine-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    const path = join(dir, 'input.xlsx');
    try {
      await pipeline(rest, createWriteStream(path));
    } catch (e) {
      await cleanup();
      throw new EngineError('UNSUPPORTED_FILE', `cannot read ${input.fileName}: ${(e as Error).message}`, { cause: e });
    }
    return XlsxWorkbook.open(path, budget, cleanup);
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
  return new CsvWorkbook(baseName(input.fileName), rest, head, () => openReadable(input.open), input.size, input.fileName);
}
