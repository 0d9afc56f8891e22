import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FaultPointName } from '../../../src/worker/fault-points.js';

const WORKER = fileURLToPath(new URL('../../../dist/worker.js', import.meta.url));

export type WorkerProcess = {
  pid: number;
  /** Resolves when the worker reached its fault point (it then waits there until killed). */
  fault: Promise<{ point: string; executionId: string }>;
  ready: Promise<void>;
  exited: Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** The last lines it wrote, for a failing test's message. */
  output(): string;
};

/**
 * An engine worker as its own OS process (`services/executions/dist/worker.js`, so `npx tsc -b` first), so
 * a test can SIGKILL or SIGSTOP it. Short lease, sweep and session timeout keep each fault test short.
 */
export function spawnWorker(env: Record<string, string>, opts: { fault?: FaultPointName; env?: Record<string, string> } = {}): WorkerProcess {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: build with \`npx tsc -b\` before the fault tests`);
  const child = spawn(process.execPath, ['--enable-source-maps', WORKER], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1',
      LEASE_MS: '3000', SWEEP_INTERVAL_MS: '500', CANCEL_POLL_MS: '200', KAFKA_SESSION_TIMEOUT_MS: '6000', RETRY_BACKOFF_MS: '300',
      ROWLINE_FAULT_PAUSE_AT: opts.fault ?? '', ...env, ...opts.env,
    },
  });
  const lines: string[] = [];
  const keep = (line: string) => { lines.push(line); lines.splice(0, lines.length - 60); };
  let onFault: (f: { point: string; executionId: string }) => void = () => {};
  let onReady: () => void = () => {};
  const fault = new Promise<{ point: string; executionId: string }>((resolve) => (onFault = resolve));
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    const hit = /^FAULT (\S+) (\S+)$/.exec(line);
    if (hit) onFault({ point: hit[1]!, executionId: hit[2]! });
    if (line.includes('"engine worker started"')) onReady();
  });
  createInterface({ input: child.stderr! }).on('line', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    fault,
    ready: Promise.race([ready, exited.then(() => { throw new Error(`the worker exited before it started:\n${lines.join('\n')}`); })]),
    exited,
    signal: (signal) => { child.kill(signal); },
    output: () => lines.join('\n'),
  };
}

/** Stops a worker for good: SIGKILL, then waits for the process to be gone. */
export async function kill(worker: WorkerProcess): Promise<void> {
  worker.signal('SIGKILL');
  await worker.exited;
}
