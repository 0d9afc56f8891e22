// The process whose memory the files benchmark measures: one files service (local storage in a temporary
// folder) on 127.0.0.1, or with --raw a plain HTTP server that writes a PUT body to disk (the floor).
// It prints one JSON line when listening. On stdin, "watch" starts sampling its RSS every 10 ms and "rss" prints
// the highest sample since (and the startup peak); it exits when stdin closes.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';

const [mode, databaseUrl] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'files-bench-'));
const reply = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
let close = async () => undefined;

if (mode === '--raw') {
  const server = http.createServer((req, res) => {
    pipeline(req, createWriteStream(join(dir, 'body'))).then(() => res.end('{}'), (err) => res.writeHead(500).end(String(err)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(resolve));
  reply({ base: `http://127.0.0.1:${server.address().port}` });
} else {
  const { createInternalTokens, createLogger, createOrm } = await import('@rowline/kit');
  const { createLocalStorage } = await import('@rowline/storage');
  const { createFilesService, entities, migrations, SCHEMA } = await import('../dist/index.js');
  const logger = createLogger({ service: 'files', level: 'warn' });
  const orm = await createOrm({ url: databaseUrl, schema: SCHEMA, entities, migrations, logger });
  const tokens = createInternalTokens('bench-internal-secret-0123456789abcdef');
  const { server } = await createFilesService({
    logger, orm, tokens, storage: createLocalStorage(join(dir, 'storage')),
    env: { PUBLIC_URL: 'http://bench.invalid', FILE_URL_SECRET: 'bench-file-url-secret-0123456789abcdef', MAX_UPLOAD_BYTES: 256 * 1024 * 1024 },
  });
  const port = await server.listen(0, '127.0.0.1');
  const principal = { kind: 'user', tenantId: '0193a000-0000-7000-8000-0000000000be', subject: 'bench', role: 'MEMBER', scopes: [] };
  close = async () => { await server.close(); await orm.close(); };
  reply({ base: `http://127.0.0.1:${port}`, token: await tokens.sign(principal, 'files') });
}

const lines = createInterface({ input: process.stdin });
let sampled = 0;
let sampler;
const sample = () => { sampled = Math.max(sampled, process.memoryUsage.rss()); };
lines.on('line', (line) => {
  if (line === 'watch') {
    sampled = 0;
    sample();
    sampler ??= setInterval(sample, 10);
    reply({ watching: true });
  }
  if (line === 'rss') { sample(); reply({ peakMB: sampled / 1048576, processPeakMB: process.resourceUsage().maxRSS / 1024 }); }
});
lines.on('close', async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
