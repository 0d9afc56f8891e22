import { spawn } from 'node:child_process';

/** The watcher: when its stdin closes, signal the server, wait for it to exit, then delete its directory. */
const WATCHER = `
const [pid, signal, dir] = process.argv.slice(1);
const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
process.stdin.on('close', () => {
  try { process.kill(Number(pid), signal); } catch {}
  const deadline = Date.now() + 30000;
  const check = setInterval(() => {
    if (alive() && Date.now() < deadline) return;
    clearInterval(check);
    if (dir) require('node:fs').rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }, 100);
});
process.stdin.resume();
`;

/**
 * Ends a server this process started when this process goes away, however it goes (a SIGKILLed test
 * runner included): a detached watcher holds a pipe from us and acts when the pipe closes. Returns a
 * function that dismisses the watcher once the server was stopped the normal way.
 */
export function reapWhenParentDies(server: { pid: number; signal: NodeJS.Signals; dir?: string }): () => void {
  const args = ['-e', WATCHER, String(server.pid), server.signal, ...(server.dir ? [server.dir] : [])];
  const watcher = spawn(process.execPath, args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  return () => {
    watcher.kill('SIGKILL');
  };
}
