import pg from 'pg';

export type AdminQuery = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Runs one statement on a short-lived admin connection (CREATE/DROP DATABASE cannot share a transaction). */
export async function withAdmin<T>(adminUrl: string, use: (query: AdminQuery) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(async (sql, params) => (await client.query(sql, params)).rows);
  } finally {
    await client.end();
  }
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The same server and credentials, another database. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Every database of a run starts with this, so that teardown can find the ones a test file left behind. */
export const runDatabasePrefix = (runId: string) => `rl_${runId}_`;

export async function dropRunDatabases(adminUrl: string, runId: string): Promise<void> {
  await withAdmin(adminUrl, async (query) => {
    const rows = await query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [runDatabasePrefix(runId)]);
    for (const { datname } of rows) await query(`DROP DATABASE IF EXISTS ${quoteIdent(String(datname))} WITH (FORCE)`);
  });
}
