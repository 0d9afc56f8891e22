import { CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, type SheetInfo } from '../domain/types.js';
import type { InputFormat } from '../domain/file-names.js';
import type { CsvScan } from './csv.js';
import type { InspectLimits } from './limits.js';
import { Rejection } from './rejection.js';
import { sniff, sniffBinary } from './sniff.js';
import type { ZipSandbox } from './sandbox.js';

export { CsvScanner } from './csv.js';
export { INSPECT_LIMITS, type InspectLimits } from './limits.js';
export { createZipSandbox, type ZipSandbox } from './sandbox.js';

export type Verdict =
  | { status: 'READY'; contentType: string; sheets: SheetInfo[] }
  | { status: 'REJECTED'; contentType: string | null; reason: string };

const EXPECTED: Record<InputFormat, string> = { xlsx: 'an Excel workbook', csv: 'a CSV file' };

/**
 * Decides what an upload is from its bytes (never from the name or the client's content type) and whether
 * it is what its name promises. Every refusal says, in words a person understands, what the file is and
 * what to do.
 */
export async function judge(input: {
  name: string;
  format: InputFormat;
  head: Buffer;
  csv: CsvScan;
  /** Runs zip inspection on a local copy of the stored bytes. */
  withCopy: <T>(fn: (path: string) => Promise<T>) => Promise<T>;
  limits: InspectLimits;
  /** Where zip inspection runs: a worker thread with memory and time limits. */
  sandbox: ZipSandbox;
}): Promise<Verdict> {
  const expected = EXPECTED[input.format];
  const reject = (reason: string, contentType: string | null): Verdict => ({ status: 'REJECTED', contentType, reason });
  const sniffed = sniff(input.head);

  if (sniffed.kind === 'zip') {
    try {
      const zip = await input.withCopy((path) => input.sandbox.inspect(path, input.limits.xlsx));
      if (zip.kind === 'other') return reject(`This is ${zip.description}, not ${expected}`, zip.contentType);
      if (input.format === 'csv') return reject('This is an Excel workbook, not a CSV file; rename it to end in .xlsx', XLSX_CONTENT_TYPE);
      return { status: 'READY', contentType: XLSX_CONTENT_TYPE, sheets: zip.sheets };
    } catch (err) {
      if (err instanceof Rejection) return reject(err.reason, err.contentType ?? 'application/zip');
      throw err;
    }
  }
  if (sniffed.kind === 'other') {
    if (sniffed.description.includes('UTF-16')) {
      return reject('This file is saved as UTF-16 text; save it as "CSV UTF-8" and upload it again', sniffed.contentType);
    }
    return reject(`This is ${sniffed.description}, not ${expected}`, sniffed.contentType);
  }
  if (input.csv.text) {
    if (input.format === 'xlsx') return reject('This is a text file (such as CSV), not an Excel workbook', 'text/plain');
    if (input.csv.empty) return reject('This CSV file is empty', CSV_CONTENT_TYPE);
    if (input.csv.unclosedQuote) {
      return reject('This CSV file is damaged: a quoted field (starting with ") is never closed, so its rows cannot be read; fix the quotes and upload it again', CSV_CONTENT_TYPE);
    }
    if (input.csv.oversizedRow === 'fields') {
      return reject(`This CSV file has a row of more than ${input.limits.csv.maxRowFields.toLocaleString('en-US')} columns, more than a spreadsheet can hold, so it was not opened`, CSV_CONTENT_TYPE);
    }
    if (input.csv.oversizedRow === 'bytes') {
      return reject(`This CSV file has a row of more than ${sizeOf(input.limits.csv.maxRowBytes)}, far longer than a spreadsheet row, so it was not opened`, CSV_CONTENT_TYPE);
    }
    const sheet = { name: input.name.replace(/\.csv$/i, ''), rowCount: input.csv.rowCount, columns: input.csv.columns };
    return { status: 'READY', contentType: CSV_CONTENT_TYPE, sheets: [sheet] };
  }
  const binary = sniffBinary(input.head);
  if (input.format === 'csv' && input.csv.problem === 'encoding' && binary.description === 'a binary file') {
    return reject('This file is not UTF-8 text; save it as "CSV UTF-8" and upload it again', 'application/octet-stream');
  }
  return reject(`This is ${binary.description}, not ${expected}`, binary.contentType);
}

const sizeOf = (bytes: number) => (bytes % 1048576 === 0 ? `${bytes / 1048576} MiB` : `${bytes.toLocaleString('en-US')} bytes`);
