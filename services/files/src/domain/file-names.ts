import { MAX_FILE_NAME_LENGTH } from '@rowline/engine';
import { badInput } from '@rowline/kit';

export type InputFormat = 'xlsx' | 'csv';

/**
 * C0/C1 controls, DEL, the bidirectional and zero-width formatting characters, and path separators. They
 * break headers and logs, and bidi overrides make `invoice\u202Excsv.exe` look like something it is not.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff/\\]/gu;

/**
 * A file name as stored and shown: NFC-normalised and trimmed, with unsafe characters replaced by `_` so
 * they stay visible instead of acting. Names are display data only; storage keys are built from ids.
 */
export function cleanFileName(raw: string, field = 'name'): string {
  const name = raw.normalize('NFC').replace(UNSAFE, '_').trim();
  if (!name || /^[._]+$/.test(name)) throw badInput('The file name is empty', { field });
  // The engine's limit too: it fails a run whose artifact name would be longer, instead of having it refused here.
  if (name.length > MAX_FILE_NAME_LENGTH) throw badInput(`The file name is longer than ${MAX_FILE_NAME_LENGTH} characters`, { field });
  return name;
}

export function formatOfName(name: string): InputFormat | null {
  const match = /.\.(xlsx|csv)$/i.exec(name);
  return match ? (match[1]!.toLowerCase() as InputFormat) : null;
}

/** An upload's name: a clean name that ends in .xlsx or .csv (the formats the engine reads). */
export function uploadName(raw: string): { name: string; format: InputFormat } {
  const name = cleanFileName(raw);
  const format = formatOfName(name);
  if (!format) throw badInput('Only Excel workbooks (.xlsx) and CSV files (.csv) can be uploaded', { field: 'name' });
  return { name, format };
}
