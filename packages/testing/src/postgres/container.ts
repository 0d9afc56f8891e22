import type { Started } from '../servers/started.js';
import type { PostgresInfo } from './start-postgres.js';

/** The major version the embedded server runs too, so both paths test against the same PostgreSQL. */
const IMAGE = 'postgres:18-alpine';

export async function startPostgresContainer(): Promise<Started<PostgresInfo>> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(IMAGE)
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'])
    .start();
  return {
    info: { adminUrl: container.getConnectionUri(), source: `testcontainers (${IMAGE})` },
    stop: async () => {
      await container.stop();
    },
  };
}
