import { PassThrough, Readable } from 'node:stream';
import { MemoryBudget } from '../src/flow/budget.js';
import { RunControl } from '../src/flow/control.js';
import { openInput, type OpenInputOptions } from '../src/io/open-input.js';
import { runWorkflow, type RunOptions, type RunResult, type StepSpec } from '../src/index.js';
import type { Row } from '../src/values.js';

export type Sheet = { columns: string[]; rows: Row[] };

export function bytesInput(fileName: string, bytes: Buffer | string) {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return { fileName, size: buf.length, open: () => Readable.from([buf]) };
}

export function csv(text: string, fileName = 'Sales.csv') {
  return bytesInput(fileName, text);
}

/** Every sheet of a workbook (xlsx or csv bytes), read with the engine's own readers. */
export async function readSheets(fileName: string, bytes: Buffer, options: OpenInputOptions = {}): Promise<Record<string, Sheet>> {
  const wb = await openInput(bytesInput(fileName, bytes), new MemoryBudget(), options);
  const out: Record<string, Sheet> = {};
  try {
    for (const name of wb.sheetNames) {
      const sheet: Sheet = { columns: [], rows: [] };
      await wb.readSheet(name, { begin: (c) => (sheet.columns = c), row: (r) => sheet.rows.push(r), end: () => undefined }, new RunControl(undefined, undefined), {}, () => undefined);
      out[name] = sheet;
    }
  } finally {
    await wb.close();
  }
  return out;
}

export interface Ran {
  result: RunResult;
  files: Map<string, Buffer>;
  /** The sheets of an xlsx artifact (default: the only artifact). */
  sheets(artifact?: string): Promise<Record<string, Sheet>>;
  text(artifact: string): string;
}

export async function run(steps: StepSpec[], input: RunOptions['input'], extra: Partial<RunOptions> = {}): Promise<Ran> {
  const files = new Map<string, Buffer>();
  const result = await runWorkflow({
    steps,
    input,
    openArtifact: async (name) => {
      const chunks: Buffer[] = [];
      const s = new PassThrough();
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => files.set(name, Buffer.concat(chunks)));
      return s;
    },
    ...extra,
  });
  await new Promise((r) => setImmediate(r));
  return {
    result,
    files,
    sheets: (artifact) => {
      const name = artifact ?? [...files.keys()][0]!;
      const b = files.get(name);
      if (!b) throw new Error(`no artifact ${name}; have ${[...files.keys()].join(', ')}`);
      return readSheets(name, b);
    },
    text: (artifact) => files.get(artifact)!.toString('utf8'),
  };
}

/** Runs steps over a csv and returns one sheet of the default xlsx artifact. */
export async function sheetAfter(steps: StepSpec[], csvText: string, sheet = 'Sales'): Promise<Sheet> {
  const r = await run(steps, csv(csvText));
  const all = await r.sheets();
  const s = all[sheet];
  if (!s) throw new Error(`no sheet ${sheet}; have ${Object.keys(all).join(', ')}`);
  return s;
}

export const SALES = [
  'id,region,amount,date,status',
  '1,North,120.5,2024-01-05,open',
  '2,South,80,2024-02-10,void',
  '3,North,200,2024-03-15,closed',
  '4,East,,2024-04-20,open',
  '5,south,150,2024-05-25,Open',
].join('\n');
