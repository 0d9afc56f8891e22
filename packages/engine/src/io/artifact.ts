import { EngineError } from '../errors.js';
import type { RunControl } from '../flow/control.js';
import type { RowSink } from '../flow/port.js';

export type ArtifactFormat = 'xlsx' | 'csv';

/**
 * The longest name a file may have on the platform: the files service refuses a longer one, an artifact's as an
 * upload's (its `name` column is a varchar(255)), counting UTF-16 code units of the name NFC-normalised, its
 * unsafe characters replaced one for one, and trimmed.
 */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * A name's length as the engine holds it to MAX_FILE_NAME_LENGTH: NFC-normalised, untrimmed. Never less than the
 * files service's count (trimming only shortens), so no name that fits here is refused there for its length.
 */
export const fileNameLength = (name: string): number => name.normalize('NFC').length;
export type OpenArtifact = (name: string, format: ArtifactFormat) => Promise<NodeJS.WritableStream>;

export interface ArtifactResult {
  name: string;
  format: ArtifactFormat;
  rows: number;
  sheets: string[];
}

/** One file the run produces; sheets are pushed into it as rows and it is finished after the last pass. */
export interface ArtifactWriter {
  readonly name: string;
  /** `order` ranks the sheet among the artifact's sheets (sheets may be added while rows flow). */
  sheet(name: string, order: number): RowSink;
  finish(): Promise<ArtifactResult>;
  /** Warnings worth a log line (text cut to Excel's cell limit, ...). */
  warnings(): string[];
}

/** Opens the caller's stream for an artifact; its failure is an OUTPUT_FAILED error. */
export async function openOutput(open: OpenArtifact, name: string, format: ArtifactFormat, ctl: RunControl): Promise<NodeJS.WritableStream> {
  let out: NodeJS.WritableStream;
  try {
    out = await open(name, format);
  } catch (e) {
    throw new EngineError('OUTPUT_FAILED', `cannot open artifact ${name}: ${(e as Error).message}`, { cause: e });
  }
  out.on('error', (e: Error) => ctl.fail(new EngineError('OUTPUT_FAILED', `writing artifact ${name} failed: ${e.message}`, { cause: e })));
  return out;
}

/** Waits until a caller's stream has flushed everything, or failed. */
export function finished(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = stream as NodeJS.WritableStream & { writableFinished?: boolean; errored?: Error | null };
    const failed = (e: Error) => reject(new EngineError('OUTPUT_FAILED', `writing an artifact failed: ${e.message}`, { cause: e }));
    if (s.errored) return failed(s.errored);
    if (s.writableFinished) return resolve();
    stream.once('finish', () => resolve());
    stream.once('close', () => (s.errored ? failed(s.errored) : resolve()));
    stream.once('error', failed);
  });
}
