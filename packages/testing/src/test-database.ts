import { randomBytes } from 'node:crypto';
import { provided, postgresServer } from './client.js';
import { databaseUrl, quoteIdent, runDatabasePrefix, withAdmin } from './postgres/admin.js';

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

/** PostgreSQL identifiers stop at 63 bytes. */
const MAX_NAME = 63;

/**
 * A new, empty database on the run's server, for one test file (or one test). Databases of a run are
 * named `rl_<runId>_...`; any the file does not drop are dropped when the run ends.
 */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const { adminUrl } = await postgresServer();
  const prefix = runDatabasePrefix(provided().runId);
  const suffix = `_${randomBytes(4).toString('hex')}`;
  const slug = label.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, MAX_NAME - prefix.length - suffix.length);
  const name = `${prefix}${slug}${suffix}`;
  await withAdmin(adminUrl, (query) => query(`CREATE DATABASE ${quoteIdent(name)}`));
  return {
    url: databaseUrl(adminUrl, name),
    name,
    drop: async () => {
      await withAdmin(adminUrl, (query) => query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}
