import { AppError, badInput, isUuid, notFound, type EntityManager, type Logger, type Principal } from '@rowline/kit';
import { EngineError, fileKeys, fromLocalDisk, MemoryPool, previewWorkflow, type PreviewStep } from '@rowline/engine';
import { getHeapStatistics } from 'node:v8';
import type { Readable } from 'node:stream';
import { causeOfType, withStreamErrors, type Storage } from '@rowline/storage';
import type { StepSpec, WorkflowsDomain } from './workflows.js';

/** What the files service tells about a file (its internal `GET /internal/files/:id`, for the caller's tenant). */
export type FileInfo = { id: string; name: string; status: string; storageKey: string };
export type FileLookup = (principal: Principal, id: string) => Promise<FileInfo>;

export const PREVIEW_MAX_LIMIT = 200;
export const PREVIEW_TIMEOUT_MS = 10_000;
/**
 * The default of what the previews of a process may hold together (PREVIEW_MEMORY_MB): a quarter of V8's heap
 * limit (which follows a container's memory limit). Each preview may hold up to the engine's per-run bound
 * (256 MB: a lookup's table is read whole), and a few at once would otherwise run the service, which answers
 * the API too, out of memory; the engine worker gives its runs half, having nothing else to do.
 */
export const defaultPreviewMemoryBytes = () => Math.floor(getHeapStatistics().heap_size_limit / 4);

/** What a client refused for lack of memory is told to wait before it tries again. */
export const PREVIEW_BUSY_RETRY_SECONDS = 5;

/** Files a preview may be given besides its input: as many as a run (the executions service's MAX_RUN_FILES). */
export const PREVIEW_MAX_FILES = 10;

export type PreviewInput = {
  steps?: StepSpec[] | null; versionId?: string | null; fileId: string; limit?: number | null;
  /** Other files the steps read (a lookup's `from.file`, a header_row's `file`), by key, as `startExecution` takes them. */
  files?: Array<{ key: string; fileId: string }> | null;
};
export type PreviewResult = { steps: Array<Omit<PreviewStep, 'sheets'> & { sheets: Array<{ name: string; columns: string[]; rows: unknown[][] }> }> };

/**
 * Storage could not give one of the preview's files, at its open or partway through its stream (a connection
 * reset mid-body, a disk read error): not the file's fault nor the draft's, and it may work next time. Its
 * message names the file as the client knows it; storage's own (a path, a bucket) stays the cause.
 */
class StoredFileUnreadable extends Error {
  constructor(file: string, cause: unknown) { super(`${file} could not be read from storage`, { cause }); }
}

const unreadableIn = (err: unknown) => causeOfType(err, StoredFileUnreadable);

/**
 * A file as storage streams it, its errors made StoredFileUnreadable (see withStreamErrors): the engine reports a
 * stream that failed as a file it cannot read and keeps the stream's error as the cause, where the preview finds it.
 */
const fromStorage = (source: Readable, file: string): Readable => withStreamErrors(source, (err) => new StoredFileUnreadable(file, err));

/**
 * Runs a draft (or a saved version) on the first rows of an uploaded file, nothing written. The file is
 * checked through the files service with the caller's principal, so another tenant's file is NOT_FOUND.
 */
export function createPreviewer(deps: {
  domain: WorkflowsDomain; storage: Storage; file: FileLookup; timeoutMs?: number;
  /** What the previews of this process hold together (one per process): default defaultPreviewMemoryBytes(). */
  memoryPool?: MemoryPool;
  /** Where a failure the client is told of in fixed words is kept whole (a temporary file's, with its path). */
  logger?: Logger;
}) {
  const memoryPool = deps.memoryPool ?? new MemoryPool(defaultPreviewMemoryBytes());
  /** The other files given, checked as the input is: distinct keys, a bounded count, each READY and the caller's. */
  async function readyFiles(actor: Principal, given: Array<{ key: string; fileId: string }>) {
    if (given.length > PREVIEW_MAX_FILES) throw badInput(`A preview takes at most ${PREVIEW_MAX_FILES} files besides its input`, { field: 'files' });
    const keys = new Set<string>();
    for (const f of given) {
      // Characters as the engine's JSON Schema counts them (code points), not UTF-16 units.
      const length = [...f.key].length;
      if (length < 1 || length > 200) throw badInput('A file key must have 1 to 200 characters', { field: 'files', key: f.key });
      if (keys.has(f.key)) throw badInput(`The file key ${JSON.stringify(f.key)} is given twice`, { field: 'files', key: f.key });
      keys.add(f.key);
    }
    return Promise.all(given.map(async (f) => {
      if (!isUuid(f.fileId)) throw notFound('File', f.fileId);
      const file = await deps.file(actor, f.fileId);
      if (file.status !== 'READY') {
        throw badInput(`File ${file.id} cannot be previewed: it is ${file.status}`, { field: 'files', fileStatus: file.status });
      }
      return { key: f.key, fileId: file.id, name: file.name, storageKey: file.storageKey };
    }));
  }

  return async function preview(em: EntityManager, actor: Principal, input: PreviewInput): Promise<PreviewResult> {
    const hasSteps = input.steps !== undefined && input.steps !== null;
    const hasVersion = input.versionId !== undefined && input.versionId !== null;
    if (hasSteps === hasVersion) throw badInput('Give exactly one of steps and versionId', { field: hasSteps ? 'versionId' : 'steps' });
    const limit = input.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > PREVIEW_MAX_LIMIT) {
      throw badInput(`limit must be between 1 and ${PREVIEW_MAX_LIMIT}`, { field: 'limit' });
    }
    const steps = hasSteps ? input.steps! : (await deps.domain.getVersion(em, input.versionId!)).steps;
    if (!isUuid(input.fileId)) throw notFound('File', input.fileId);
    const file = await deps.file(actor, input.fileId);
    if (file.status !== 'READY') {
      throw badInput(`File ${file.id} cannot be previewed: it is ${file.status}`, { field: 'fileId', fileStatus: file.status });
    }
    const files = await readyFiles(actor, input.files ?? []);
    // A file the steps read and the preview was not given would fail at the engine (FILE_NOT_FOUND): said
    // here, by key. A file no step reads is accepted (a draft being edited may have dropped its lookup for now).
    const missing = fileKeys(steps).filter((k) => !files.some((f) => f.key === k));
    if (missing.length) {
      throw badInput(`The steps read ${missing.length === 1 ? 'a file' : 'files'} not given to the preview: ${missing.map((k) => JSON.stringify(k)).join(', ')}`, { field: 'files', missingKeys: missing });
    }

    const timeoutMs = deps.timeoutMs ?? PREVIEW_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    // The engine watches the signal while it runs steps, not while it reads a file's first bytes: a stalled
    // read is ended here too, and the streams it opened are destroyed.
    const opened: Readable[] = [];
    const timedOut = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => {
        for (const stream of opened) stream.destroy();
        reject(new EngineError('CANCELLED', 'the preview timed out'));
      }, { once: true });
    });
    const open = (storageKey: string, file: string) => async () => {
      // The storage's own message may name paths or buckets; the client learns only which file could not be read.
      const stream = fromStorage(await deps.storage.get(storageKey).catch((err: unknown) => { throw new StoredFileUnreadable(file, err); }), file);
      opened.push(stream);
      return stream;
    };
    let result: { steps: PreviewStep[] };
    try {
      const running = previewWorkflow({
        steps,
        input: {
          fileName: file.name,
          open: open(file.storageKey, `the input ${file.name} (${file.id})`),
        },
        files: Object.fromEntries(files.map((f) => [f.key, { fileName: f.name, open: open(f.storageKey, `the file ${f.name} given as ${JSON.stringify(f.key)} (${f.fileId})`) }])),
        limit,
        signal,
        memoryPool,
      });
      running.catch(() => {}); // when the timeout wins the race, the engine's own rejection is expected
      result = await Promise.race([running, timedOut]);
    } catch (err) {
      const unreadable = unreadableIn(err);
      if (unreadable) {
        throw new AppError('UNAVAILABLE', `${unreadable.message[0]!.toUpperCase()}${unreadable.message.slice(1)}; try the preview again`, { retryable: true });
      }
      // The engine's temporary files (an xlsx past its in-memory bound, spooled) failed on this service's disk: no
      // space left, a directory that cannot be made. Neither the draft's nor the file's, and it may pass; what the
      // error says (a local path) is the log's (before 2026-12-01: BAD_USER_INPUT with that message).
      if (fromLocalDisk(err)) {
        deps.logger?.warn({ err }, 'a preview\'s temporary file could not be written or read');
        throw new AppError('UNAVAILABLE', 'A temporary file of the preview could not be written or read; try the preview again', { retryable: true });
      }
      // Other previews hold the memory this one needs: nothing is wrong with the draft or the file, and it may
      // fit in a moment. Refused at once rather than waited for: the client waits on the request, a preview
      // has 10 s, and the client's retry is its to make (the code says so).
      if (err instanceof EngineError && err.code === 'BUSY') {
        throw new AppError('UNAVAILABLE', 'The previews running now hold the memory this one needs; try again in a few seconds', {
          engineCode: 'BUSY', retryable: true, retryAfterSeconds: PREVIEW_BUSY_RETRY_SECONDS,
          ...(err.step !== undefined ? { step: err.step } : {}),
        });
      }
      // The engine's errors are written for the client, but for its INTERNAL, which quotes whatever it did not
      // foresee. That one, as anything else, is left to the API's internal error ("Internal server error"), logged whole.
      if (err instanceof EngineError && err.code !== 'INTERNAL') {
        throw badInput(err.code === 'CANCELLED' ? `The preview took longer than ${timeoutMs / 1000}s` : err.message, {
          engineCode: err.code,
          ...(err.step !== undefined ? { step: err.step } : {}),
          ...(err.issues ? { issues: err.issues } : {}),
        });
      }
      throw err;
    }
    return {
      steps: result.steps.map((s) => ({
        index: s.index, type: s.type, rowsIn: s.rowsIn, rowsOut: s.rowsOut,
        sheets: Object.entries(s.sheets).map(([name, sheet]) => ({ name, columns: sheet.columns, rows: sheet.rows })),
      })),
    };
  };
}
export type Previewer = ReturnType<typeof createPreviewer>;
