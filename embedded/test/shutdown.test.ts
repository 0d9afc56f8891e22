import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built entry point, as `npm start` runs it (`npm test` builds before it tests).
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

describe('the embedded platform', () => {
  it('drains the services before stopping its PostgreSQL on Ctrl-C, and exits 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rowline-shutdown-'));
    const [port, pgPort] = [await freePort(), await freePort()];
    // Its own process group, so the signal below reaches it the way a terminal's Ctrl-C reaches a group.
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(pgPort), SEED_DEMO: 'false', LOG_LEVEL: 'info', DATABASE_URL: '', KAFKA_BROKERS: '' },
      detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { output += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { output += c; });
    try {
      await expect.poll(() => output, { timeout: 90_000, interval: 200 }).toContain('Rowline is running');
      const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(answer.status).toBe(200);
      // 'close', not 'exit': only then is all it wrote to its pipes read.
      const exited = once(child, 'close');
      process.kill(-child.pid!, 'SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      const stopped = output.split('\n').filter((l) => l.includes('"msg":"stopped"')).map((l) => JSON.parse(l).component);
      expect(stopped).toEqual(['platform', 'postgres']);
      expect(output).not.toMatch(/"level":"(error|fatal)"/);
      // The database port is free again: the server really stopped.
      await expect.poll(async () => fetch(`http://127.0.0.1:${pgPort}`).then(() => 'open', (e) => (String(e.cause?.code ?? e).includes('ECONNREFUSED') ? 'closed' : 'open')), { timeout: 10_000 }).toBe('closed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
