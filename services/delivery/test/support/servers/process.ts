import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer, connect } from 'node:net';

/** Fails (never skips) with what to install when a protocol server the tests need is missing. */
export async function requireExecutable(path: string, debianPackage: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing: install the Debian package ${debianPackage} (.ci/run provisions it)`);
  }
}

export async function requirePythonModule(module: string, debianPackage: string): Promise<void> {
  await requireExecutable('/usr/bin/python3', 'python3');
  const code = await new Promise<number | null>((resolve) => spawn('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).on('exit', resolve));
  if (code !== 0) throw new Error(`Python module ${module} is missing from /usr/bin/python3: install the Debian package ${debianPackage} (.ci/run provisions it)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port; rejects with the child's output if it exits first. */
export async function waitForPort(port: number, child: ChildProcess, output: () => string, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before listening:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port}:\n${output()}`);
}

/** Starts a child whose output is kept for error messages, and a stop that waits for it to exit. */
export function startChild(command: string, args: string[], opts: { cwd?: string } = {}) {
  const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output = (output + d).slice(-4000); });
  child.stderr!.on('data', (d) => { output = (output + d).slice(-4000); });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
