import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Runs a server host script (scripts/kafka/broker.mjs, packages/testing/scripts/postgres-server.mjs) as a
 * child process. The script prints one JSON line when its server is up and stops the server when its stdin
 * closes: closing it is how we stop it, and the OS closes it for us if this process dies, even by SIGKILL.
 * Running servers out of process also keeps their libraries' exit hooks away from the test runner.
 */
export async function startChildServer<T>(what: string, script: string, args: string[] = []): Promise<{ info: T; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-6_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => resolve(undefined));
  });
  if (!line) throw new Error(`${what} did not start:\n${stderr.trim()}`);
  return {
    info: JSON.parse(line) as T,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
