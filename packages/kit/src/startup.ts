import { EnvError } from './env.js';

/**
 * Makes the failures an operator causes and fixes (a variable missing or malformed, a port taken) read as
 * one paragraph that says what to change, and exit 1, instead of an uncaught exception's stack trace.
 * Call it first in an entry point (`main.ts`, `worker.ts`), before anything that can throw, and call the
 * function it returns once the process has started (listening, consumers running): from then on every
 * uncaught error, an EnvError or a listen error included, gets Node's own report (stack, exit 1), as any
 * other error gets at start too. A failure of a running process is not a start that went wrong.
 */
export function exitOnStartupError(processName: string): () => void {
  const handler = (err: unknown) => {
    const message = startupErrorMessage(processName, err);
    if (message === undefined) {
      // Not ours to explain: hand it back to Node, whose default report (stack, exit code 1) then applies.
      process.off('uncaughtException', handler);
      process.nextTick(() => { throw err; });
      return;
    }
    process.stderr.write(`${message}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', handler);
  return () => { process.off('uncaughtException', handler); };
}

/** The paragraph for a failure an operator fixes, or undefined for any other error. */
export function startupErrorMessage(processName: string, err: unknown): string | undefined {
  if (err instanceof EnvError) {
    return `${processName} cannot start: its configuration is invalid.\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`
      + 'Set these environment variables (the README lists each one) and start it again.';
  }
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.syscall === 'listen' && (e.code === 'EADDRINUSE' || e.code === 'EACCES')) {
    const where = `port ${e.port ?? '?'}${e.address ? ` on ${e.address}` : ''}`;
    const why = e.code === 'EADDRINUSE'
      ? `${where} is already in use (another process listens there, perhaps an earlier start still running)`
      : `it may not listen on ${where} (ports under 1024 need privileges)`;
    return `${processName} cannot start: ${why}. Stop that process or choose another port with the PORT variable (e.g. PORT=${suggestion(e.port)}).`;
  }
  return undefined;
}

const suggestion = (port: number | undefined) => (port && port < 65535 && port >= 1024 ? port + 100 : 4100);
