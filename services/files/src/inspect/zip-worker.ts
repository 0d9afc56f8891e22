import { parentPort, workerData } from 'node:worker_threads';
import type { XlsxLimits } from './limits.js';
import { Rejection } from './rejection.js';
import { inspectZip } from './xlsx.js';

/** What the isolated inspection answers its parent: a verdict, a refusal for the uploader, or a bug. */
export type ZipWorkerReply =
  | { ok: Awaited<ReturnType<typeof inspectZip>> }
  | { rejected: { reason: string; contentType: string | null } }
  | { failed: string };

// The entry point of the inspection worker thread (see sandbox.ts): one zip, one answer, then exit.
const { path, limits } = workerData as { path: string; limits: XlsxLimits };
const reply = (message: ZipWorkerReply) => parentPort!.postMessage(message);
inspectZip(path, limits).then(
  (ok) => reply({ ok }),
  (err: unknown) => reply(err instanceof Rejection
    ? { rejected: { reason: err.reason, contentType: err.contentType } }
    : { failed: err instanceof Error ? err.message : String(err) }),
);
