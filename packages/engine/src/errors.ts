/** Stable error codes: callers (the executions worker, the workflows service) map them to API errors. */
export type EngineErrorCode =
  | 'INVALID_STEPS'
  | 'UNSUPPORTED_FILE'
  | 'CORRUPT_FILE'
  | 'MISSING_COLUMN'
  | 'SHEET_NOT_FOUND'
  | 'FILE_NOT_FOUND'
  /** A header_row step's row is blank or past the sheet's end, or no row holds the cells it looks for. */
  | 'HEADER_NOT_FOUND'
  | 'TOO_LARGE'
  /** The process's memory for runs (MemoryPool) is held by other runs: the run may succeed if tried again later. */
  | 'BUSY'
  | 'VALIDATION_FAILED'
  | 'CANCELLED'
  | 'BAD_EXPRESSION'
  | 'BAD_PATTERN'
  | 'DUPLICATE_KEY'
  /** Two artifacts of a run got exactly one name, from names known only while it runs ({sheet}, {input}). */
  | 'DUPLICATE_ARTIFACT'
  | 'OUTPUT_FAILED'
  | 'INTERNAL';

export interface StepIssue {
  path: string;
  code: string;
  message: string;
}

export class EngineError extends Error {
  override name = 'EngineError';
  readonly code: EngineErrorCode;
  step?: number;
  /** Set for INVALID_STEPS: every problem found, with its path. */
  issues?: StepIssue[];
  /** Per-step figures of the failed run, when the failure happened while running. */
  steps?: Array<{ index: number; type: string; status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED'; rowsIn: number; rowsOut: number; durationMs: number; warnings?: number }>;

  constructor(code: EngineErrorCode, message: string, opts: { step?: number; issues?: StepIssue[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.step !== undefined) this.step = opts.step;
    if (opts.issues) this.issues = opts.issues;
  }
}

/**
 * Whether an error the engine failed with (a run's or a preview's, or anything it threw) comes from the local
 * disk: an operating system's error (Node's, with a `syscall`) among its causes, five deep. The engine opens no
 * connection and no file but its own temporary ones (an xlsx input spooled, a sheet of an xlsx artifact spooled),
 * so such an error is theirs (no space left, a directory that cannot be made): the host's trouble, neither the
 * workflow's nor the file's, and it may pass. Streams a caller gives (an input's `open`, `openArtifact`) can fail
 * with such errors too (a socket's, another disk's): the caller marks those as its own and looks for them first.
 * What it quotes (a path) is for the caller's log, not for users.
 */
export function fromLocalDisk(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (typeof (e as NodeJS.ErrnoException).syscall === 'string') return true;
  }
  return false;
}

export function missingColumn(column: string, columns: readonly string[]): EngineError {
  const known = columns.length ? columns.slice(0, 20).map((c) => JSON.stringify(c)).join(', ') : 'none';
  return new EngineError('MISSING_COLUMN', `column ${JSON.stringify(column)} not found (columns: ${known})`);
}
