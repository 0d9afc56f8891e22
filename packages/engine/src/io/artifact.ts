import type { RowSink } from '../flow/port.js';

export type ArtifactFormat = 'xlsx' | 'csv';
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

/** Waits until a caller's stream has flushed everything, or failed. */
export function finished(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = stream as NodeJS.WritableStream & { writableFinished?: boolean };
    if (s.writableFinished) return resolve();
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', (e: Error) => reject(e));
  });
}
