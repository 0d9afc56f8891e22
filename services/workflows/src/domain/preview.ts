import { badInput, isUuid, notFound, type EntityManager, type Principal } from '@rowline/kit';
import { EngineError, previewWorkflow, type PreviewStep } from '@rowline/engine';
import type { Readable } from 'node:stream';
import type { Storage } from '@rowline/storage';
import type { StepSpec, WorkflowsDomain } from './workflows.js';

/** What the files service tells about a file (its internal `GET /internal/files/:id`, for the caller's tenant). */
export type FileInfo = { id: string; name: string; status: string; storageKey: string };
export type FileLookup = (principal: Principal, id: string) => Promise<FileInfo>;

export const PREVIEW_MAX_LIMIT = 200;
export const PREVIEW_TIMEOUT_MS = 10_000;

export type PreviewInput = { steps?: StepSpec[] | null; versionId?: string | null; fileId: string; limit?: number | null };
export type PreviewResult = { steps: Array<Omit<PreviewStep, 'sheets'> & { sheets: Array<{ name: string; columns: string[]; rows: unknown[][] }> }> };

/**
 * Runs a draft (or a saved version) on the first rows of an uploaded file, nothing written. The file is
 * checked through the files service with the caller's principal, so another tenant's file is NOT_FOUND.
 */
export function createPreviewer(deps: { domain: WorkflowsDomain; storage: Storage; file: FileLookup; timeoutMs?: number }) {
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
    let result: { steps: PreviewStep[] };
    try {
      const running = previewWorkflow({
        steps,
        input: {
          fileName: file.name,
          open: async () => {
            // The storage's own message may name paths or buckets; the client learns only that it failed.
            const stream = await deps.storage.get(file.storageKey).catch(() => { throw new Error('the stored file could not be read'); });
            opened.push(stream);
            return stream;
          },
        },
        limit,
        signal,
      });
      running.catch(() => {}); // when the timeout wins the race, the engine's own rejection is expected
      result = await Promise.race([running, timedOut]);
    } catch (err) {
      if (err instanceof EngineError) {
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
