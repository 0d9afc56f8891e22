import { spawn } from 'node:child_process';

/**
 * Kills `pid` when this process goes away, however it goes (a SIGKILLed test runner included): a detached
 * watcher holds a pipe from us and acts when the pipe closes. Returns a function that dismisses the watcher
 * once the server was stopped the normal way.
 */
export function reapWhenParentDies(pid: number, signal: NodeJS.Signals): () => void {
  const script = `process.stdin.on('close', () => { try { process.kill(${pid}, '${signal}'); } catch {} process.exit(0); }); process.stdin.resume();`;
  const watcher = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  return () => {
    watcher.kill('SIGKILL');
  };
}
