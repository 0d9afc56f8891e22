import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built entry points, as an operator runs them (`npx tsc -b` first).
const root = fileURLToPath(new URL('..', import.meta.url));
const PATH = process.env.PATH ?? '';

/** Runs `node <entry>` with exactly `env` (plus PATH) and returns its exit code and what it wrote to stderr. */
async function run(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [join(root, entry)], { env: { PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  child.stdout.resume();
  const [code] = await once(child, 'close');
  return { code: code as number, stderr };
}

/** A line of a stack trace: what an operator should not have to read to fix a configuration. */
const STACK_LINE = /^\s+at .+/m;

describe('a process that cannot start', () => {
  it('names each missing variable and what it expects, without a stack trace, and exits 1', async () => {
    const { code, stderr } = await run('services/files/dist/main.js', {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/^files cannot start: its configuration is invalid\.\n/);
    expect(stderr).toContain('  - PORT: not set; expected an integer from 0 to 65535\n');
    expect(stderr).toContain('  - DATABASE_URL: not set; expected a URL\n');
    expect(stderr).toContain('  - INTERNAL_TOKEN_SECRET: not set; expected a string of at least 32 characters\n');
    expect(stderr).not.toContain('NaN');
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('says a malformed variable is wrong without echoing its value', async () => {
    const { code, stderr } = await run('services/files/dist/main.js', { PORT: 'eighty', INTERNAL_TOKEN_SECRET: 'hunter2' });
    expect(code).toBe(1);
    expect(stderr).toContain('  - PORT: expected an integer from 0 to 65535\n');
    expect(stderr).not.toContain('hunter2');
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('names the port taken and the variable to change when npm start finds its port in use', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'rowline-port-taken-'));
    try {
      const { code, stderr } = await run('embedded/dist/main.js', {
        PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL ?? '', SEED_DEMO: 'false', LOG_LEVEL: 'warn',
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`rowline cannot start: port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).toContain('choose another port with the PORT variable');
      expect(stderr).not.toMatch(STACK_LINE);
    } finally {
      holder.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('finds its port taken before it starts the embedded PostgreSQL', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'rowline-port-first-'));
    // A DATA_DIR that is a file: the embedded PostgreSQL, if it were started first, fails there instead.
    const dataDir = join(dir, 'not-a-directory');
    await writeFile(dataDir, '');
    try {
      const { code, stderr } = await run('embedded/dist/main.js', { PORT: String(port), DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn' });
      expect(code).toBe(1);
      expect(stderr).toContain(`rowline cannot start: port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).not.toContain('PostgreSQL');
    } finally {
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
