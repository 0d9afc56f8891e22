import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { XlsxLimits } from './limits.js';
import { Rejection } from './rejection.js';
import type { ZipVerdict } from './xlsx.js';
import type { ZipWorkerReply } from './zip-worker.js';

export type SandboxLimits = {
  /** V8 heap of one inspection thread; past it the thread dies and the file is refused. */
  maxMemoryMb: number;
  /** Wall clock for one inspection; past it the thread is terminated and the file is refused. */
  timeoutMs: number;
  /** Inspections running at once; more wait their turn, so a burst of uploads cannot multiply the memory. */
  concurrency: number;
};

export const TOO_BIG_TO_OPEN = 'This workbook needs more memory to open than allowed, so it was not opened; split it into smaller files';
export const TOO_SLOW_TO_OPEN = 'This workbook took too long to open, so it was not accepted; split it into smaller files';

/**
 * The worker's entry as a file Node can run. Built code runs dist/inspect/zip-worker.js next to this file;
 * tests run this module from src/ through vitest's transformer, which a worker thread does not have, so
 * they use the built file (`npm test` builds first).
 */
function workerEntry(): URL {
  const here = new URL('./zip-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace(/\/src\/inspect\/zip-worker\.js$/, '/dist/inspect/zip-worker.js'));
  if (!existsSync(fileURLToPath(built))) throw new Error(`The inspection worker is not built: ${fileURLToPath(built)} is missing (run \`npx tsc -b\`)`);
  return built;
}

/**
 * Runs zip inspection in a worker thread with a memory cap and a wall-clock limit, so that a hostile file
 * that gets past the structural checks can at worst cost one thread, never the service: running out of
 * either becomes a Rejection with a reason for the uploader.
 */
export function createZipSandbox(limits: SandboxLimits) {
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (running >= limits.concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
  };
  const release = () => { running--; waiting.shift()?.(); };

  function once(path: string, xlsx: XlsxLimits): Promise<ZipVerdict> {
    return new Promise<ZipVerdict>((resolve, reject) => {
      const worker = new Worker(workerEntry(), {
        workerData: { path, limits: xlsx },
        resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb, maxYoungGenerationSizeMb: Math.min(16, limits.maxMemoryMb), stackSizeMb: 4 },
        stdout: true,
        stderr: true,
      });
      let settled = false;
      const settle = (fn: () => void) => { if (!settled) { settled = true; clearTimeout(timer); fn(); } };
      const timer = setTimeout(() => {
        settle(() => reject(new Rejection(TOO_SLOW_TO_OPEN)));
        void worker.terminate();
      }, limits.timeoutMs);
      worker.once('message', (reply: ZipWorkerReply) => settle(() => {
        if ('ok' in reply) resolve(reply.ok);
        else if ('rejected' in reply) reject(new Rejection(reply.rejected.reason, reply.rejected.contentType));
        else reject(new Error(`zip inspection failed: ${reply.failed}`));
      }));
      worker.once('error', (err: Error & { code?: string }) => settle(() => {
        reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new Rejection(TOO_BIG_TO_OPEN) : err);
      }));
      worker.once('exit', (code) => settle(() => reject(new Error(`the inspection worker exited (${code}) without an answer`))));
    });
  }

  return {
    async inspect(path: string, xlsx: XlsxLimits): Promise<ZipVerdict> {
      await acquire();
      try {
        return await once(path, xlsx);
      } finally {
        release();
      }
    },
  };
}
export type ZipSandbox = ReturnType<typeof createZipSandbox>;
