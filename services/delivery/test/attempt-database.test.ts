import { randomBytes } from 'node:crypto';
import { createLogger, createOrm, migrate, newId, systemEm, type Orm } from '@rowline/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, migrations, SCHEMA } from '../src/index.js';
import { createSecretBox } from '../src/domain/secret-box.js';
import { DestinationEntity } from '../src/store/entities.js';
import type { ClaimedRow, LedgerStore } from '../src/store/ledger-store.js';
import type { Transport } from '../src/transports/types.js';
import { attemptDelivery, type AttemptDeps } from '../src/worker/deliver-one.js';
import { createDatabase } from './support/database.js';

const TENANT = '0193a000-0000-7000-8000-0000000000d1';

let db: Awaited<ReturnType<typeof createDatabase>>;
let orm: Orm;
let destinationId: string;

beforeAll(async () => {
  db = await createDatabase();
  orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger: createLogger({ service: 'delivery-test', level: 'silent' }) });
  await migrate(orm, SCHEMA);
  const em = systemEm(orm);
  destinationId = newId();
  em.create(DestinationEntity, {
    id: destinationId, tenantId: TENANT, name: 'Hook', kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/x' }, secrets: null, secretFields: [], enabled: true,
  });
  await em.flush();
});
afterAll(async () => {
  await orm?.close();
  await db?.drop();
});

/** What the attempt recorded, when its read of the destination fails: nothing past it is reached. */
async function attemptRecords(): Promise<{ error: string | null; status: string }> {
  const finished: Array<{ error: string | null; next: { status: string } }> = [];
  let reached = false;
  const unreached = () => { reached = true; throw new Error('reached past the destination\'s read'); };
  const deps: AttemptDeps = {
    orm,
    ledger: { finishAttempt: async (_row: ClaimedRow, result: { error: string | null; next: { status: string } }) => { finished.push(result); return true; } } as unknown as LedgerStore,
    storage: { get: unreached } as unknown as AttemptDeps['storage'],
    locate: unreached,
    box: createSecretBox(randomBytes(32)),
    transports: new Proxy({}, { get: () => ({ send: unreached }) }) as Record<string, Transport> as AttemptDeps['transports'],
    schedule: { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 1000 },
    logger: createLogger({ service: 'delivery-test', level: 'silent' }),
  };
  const row: ClaimedRow = {
    id: newId(), tenant_id: TENANT, execution_id: newId(), workflow_id: newId(), route_id: newId(), destination_id: destinationId,
    artifact_file_id: newId(), artifact_name: 'out.csv', file_name: 'out.csv', artifact_size: '4', artifact_sha256: '0'.repeat(64),
    artifact_content_type: 'text/csv', attempt_count: 1, idempotency_key: 'dlv_test', lease_until: new Date(Date.now() + 60_000), trace_headers: {},
  };
  await attemptDelivery(deps, row);
  expect(reached).toBe(false);
  expect(finished).toHaveLength(1);
  return { error: finished[0]!.error, status: finished[0]!.next.status };
}

/**
 * An attempt whose read of its destination waits on a lock this test holds, and whose statement `act` ends while it
 * waits (pg_cancel_backend: a statement cancelled, as a statement or lock timeout is; pg_terminate_backend: the
 * session ended, as a restart or failover ends it).
 */
async function attemptEndedWhileWaiting(act: 'pg_cancel_backend' | 'pg_terminate_backend') {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let locked!: () => void;
  const holding = new Promise<void>((r) => { locked = r; });
  const holder = orm.em.fork().transactional(async (tx) => {
    await tx.execute('lock table "delivery"."destinations" in access exclusive mode');
    locked();
    await released;
  });
  await holding;
  try {
    const attempt = attemptRecords();
    for (let tries = 0; ; tries++) {
      const [ended] = await orm.em.fork().execute<Array<{ pid: number }>>(`select ${act}("pid"), "pid" from "pg_stat_activity"
        where "datname" = current_database() and "wait_event_type" = 'Lock' and "pid" <> pg_backend_pid()`);
      if (ended) break;
      if (tries > 600) throw new Error('the attempt\'s read never waited for the lock');
      await new Promise((r) => setTimeout(r, 50));
    }
    return await attempt;
  } finally {
    release();
    await holder;
  }
}

describe('a delivery attempt whose database fails before anything is sent', () => {
  it('says an internal error occurred for an error of the statement itself (a schema that does not match), not that the database was unavailable', async () => {
    // The read names tenant_id (42703 undefined_column once it is renamed), as a migration not yet run would.
    await orm.em.fork().execute('alter table "delivery"."destinations" rename column "tenant_id" to "tenant_elsewhere"');
    try {
      expect(await attemptRecords()).toEqual({ error: 'INTERNAL: an internal error occurred', status: 'FAILED' });
    } finally {
      await orm.em.fork().execute('alter table "delivery"."destinations" rename column "tenant_elsewhere" to "tenant_id"');
    }
  });

  it('says the database was busy when its statement was cancelled waiting for a lock', async () => {
    expect(await attemptEndedWhileWaiting('pg_cancel_backend')).toEqual({ error: 'INTERNAL: the database was busy', status: 'FAILED' });
  });

  it('says the database was unavailable when its session was ended', async () => {
    expect(await attemptEndedWhileWaiting('pg_terminate_backend')).toEqual({ error: 'INTERNAL: the database was unavailable', status: 'FAILED' });
  });
});
