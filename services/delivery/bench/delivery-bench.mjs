// Deliveries per second to a local HTTPS webhook receiver, with 2 delivery workers and, side by side in the
// same run, the baseline of 1 worker. Each configuration gets a fresh database, the real files service, the
// in-process bus and one succeeded run with N artifacts routed to the webhook; the clock runs from the
// event's publication until every delivery is SUCCEEDED. Needs PostgreSQL (DATABASE_URL, default the local
// server) and openssl. Bounded: N <= 5000 and 120 s per configuration.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { createMemoryBus } from '@rowline/bus';
import { createInternalClient, createInternalTokens, createLogger, createOrm, newId, systemEm } from '@rowline/kit';
import { create, encodeExecutionEvent, eventMeta, ExecutionEventSchema, TOPICS } from '@rowline/proto';
import { createLocalStorage } from '@rowline/storage';
import * as files from '@rowline/files';
import * as delivery from '@rowline/delivery';
import * as workflows from '@rowline/workflows';

const N = Math.min(Number(process.argv[2] ?? 300) || 300, 5000);
const LIMIT_MS = 120_000;
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TENANT = '0193a000-0000-7000-8000-0000000000b1';

function pki() {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-bench-pki-'));
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=bench CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  const read = (f) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
}

async function database() {
  const name = `delivery_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client(ADMIN_URL);
  await admin.connect().catch((err) => { throw new Error(`the delivery benchmark needs PostgreSQL at DATABASE_URL (${err.message})`); });
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client(ADMIN_URL);
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

async function measure(workers, certs, receiverUrl) {
  const db = await database();
  const logger = createLogger({ service: 'delivery-bench', level: 'silent' });
  const tokens = createInternalTokens(randomBytes(32).toString('hex'));
  const storage = createLocalStorage(mkdtempSync(join(tmpdir(), 'delivery-bench-storage-')));
  const bus = createMemoryBus({ logger });
  await bus.ensureTopics([{ name: TOPICS.executionEvents }]);
  const filesOrm = await createOrm({ url: db.url, schema: files.SCHEMA, entities: files.entities, migrations: files.migrations, logger });
  const filesSvc = await files.createFilesService({
    logger, orm: filesOrm, tokens, storage, env: { PUBLIC_URL: 'https://files.bench.test', FILE_URL_SECRET: randomBytes(32).toString('hex'), MAX_UPLOAD_BYTES: 1e7 },
  });
  const filesUrl = `http://127.0.0.1:${await filesSvc.server.listen(0, '127.0.0.1')}`;
  // attachDestination checks the route's workflow at the workflows service.
  const workflowsOrm = await createOrm({ url: db.url, schema: workflows.SCHEMA, entities: workflows.entities, migrations: workflows.migrations, logger });
  const workflowsSvc = await workflows.createWorkflowsService({ logger, orm: workflowsOrm, tokens, storage, filesUrl });
  const workflowsUrl = `http://127.0.0.1:${await workflowsSvc.server.listen(0, '127.0.0.1')}`;
  const orm = await createOrm({ url: db.url, schema: delivery.SCHEMA, entities: delivery.entities, migrations: delivery.migrations, logger, pool: { max: 10 } });
  const svc = await delivery.createDeliveryService({
    logger, orm, tokens, secretKey: randomBytes(32), workflowsUrl, hosts: { production: false, devAllowedHosts: ['localhost'] },
    runtime: { bus, storage, filesUrl, workers: { concurrency: workers, pollMs: 100 } }, extraCa: certs.ca,
  });
  try {
    const principal = { kind: 'user', tenantId: TENANT, subject: 'bench', role: 'OWNER', scopes: [] };
    const em = systemEm(orm);
    em.setFilterParams('tenant', { tenantId: TENANT });
    const destination = await svc.destinations.create(em, principal, { name: 'bench hook', kind: 'WEBHOOK', config: { url: receiverUrl, secret: 'bench-secret-0123456789' } });
    const workflowEm = systemEm(workflowsOrm);
    workflowEm.setFilterParams('tenant', { tenantId: TENANT });
    const { workflow } = await workflowsSvc.domain.create(workflowEm, principal, { name: 'bench workflow', steps: [{ type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } }] });
    const workflowId = workflow.id;
    await svc.routes.attach(em, principal, { workflowId, destinationId: destination.id });

    const executionId = newId();
    const register = createInternalClient({ tokens, baseUrl: filesUrl, audience: 'files' });
    const artifacts = [];
    for (let i = 0; i < N; i++) {
      const name = `part-${i}.csv`;
      const body = Buffer.from(`row,${i}\n`);
      const key = `${TENANT}/artifacts/${executionId}/${name}`;
      await storage.put(key, Readable.from([body]));
      const sha256 = createHash('sha256').update(body).digest('hex');
      const { id } = await register({ ...principal, kind: 'service' }, '/internal/artifacts', { method: 'POST', body: { executionId, name, storageKey: key, size: body.length, sha256, contentType: 'text/csv' } });
      artifacts.push({ fileId: id, name, size: BigInt(body.length), sha256, contentType: 'text/csv' });
    }
    await svc.runtime.start();
    const started = performance.now();
    await bus.publish(TOPICS.executionEvents, [{ key: executionId, value: encodeExecutionEvent(create(ExecutionEventSchema, {
      meta: eventMeta(newId(), TENANT), executionId, workflowId, sequence: 1n, payload: { case: 'succeeded', value: { artifacts } },
    })) }]);
    const conn = orm.em.getConnection();
    for (;;) {
      const [row] = await conn.execute(`select count(*) filter (where status = 'SUCCEEDED') as done, count(*) filter (where status = 'DEAD') as dead from "delivery"."deliveries" where execution_id = ?`, [executionId]);
      if (Number(row.dead) > 0) throw new Error(`${row.dead} deliveries went DEAD`);
      if (Number(row.done) === N) break;
      if (performance.now() - started > LIMIT_MS) throw new Error(`only ${row.done} of ${N} delivered within ${LIMIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    return { workers, deliveries: N, seconds, perSecond: N / seconds };
  } finally {
    await svc.runtime.stop();
    await svc.server.close().catch(() => {});
    await filesSvc.server.close().catch(() => {});
    await workflowsSvc.server.close().catch(() => {});
    await workflowsOrm.close();
    await bus.close();
    await orm.close();
    await filesOrm.close();
    await db.drop();
  }
}

const certs = pki();
let received = 0;
const receiver = createServer({ cert: certs.cert, key: certs.key }, (req, res) => { req.resume(); req.on('end', () => { received++; res.writeHead(204).end(); }); });
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `https://localhost:${receiver.address().port}/hook`;
try {
  console.log(`delivery benchmark: ${N} webhook deliveries (HTTPS, signed) to a local receiver, per configuration`);
  const baseline = await measure(1, certs, receiverUrl);
  const result = await measure(2, certs, receiverUrl);
  for (const r of [baseline, result]) console.log(`  ${r.workers} worker${r.workers > 1 ? 's' : ' '}: ${r.deliveries} in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(1)} deliveries/s`);
  console.log(`  ratio 2 workers / 1 worker: ${(result.perSecond / baseline.perSecond).toFixed(2)}x  (receiver saw ${received} requests)`);
} finally {
  receiver.closeAllConnections();
  receiver.close();
}
