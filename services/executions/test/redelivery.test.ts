import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { newId } from '@rowline/kit';
import { TOPICS } from '@rowline/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedMessage } from '../src/events/messages.js';
import { artifactKey } from '../src/worker/engine-worker.js';
import { startExecutionsPlatform, until, type ExecutionsPlatform, type Tenant } from './support/platform.js';

let p: ExecutionsPlatform;
let acme: Tenant;
let versionId: string;
let fileId: string;

beforeAll(async () => {
  p = await startExecutionsPlatform();
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow());
  fileId = await acme.upload();
});
afterAll(async () => { await p?.stop(); });

/** Everything the executions service stores about one run. */
async function snapshot(id: string) {
  return {
    run: await p.sql('select * from "executions"."executions" where "id" = ?', [id]),
    steps: await p.sql('select * from "executions"."step_runs" where "execution_id" = ? order by "index"', [id]),
    logs: await p.sql('select * from "executions"."execution_logs" where "execution_id" = ? order by "id"', [id]),
    outbox: await p.sql('select "id", "topic", "key", "headers", "sent_at" from "executions"."outbox" where "key" = ? order by "id"', [id]),
  };
}

/** Publishes ExecutionRequested for `id` again, exactly as it first crossed the bus: what Kafka does after a consumer crash. */
async function redeliver(id: string) {
  const original = await until(`the request of ${id} on the bus`, async () => p.requested.get(id));
  await p.platform.bus.publish(TOPICS.executionRequested, [{ key: original.key, value: original.value, headers: original.headers }]);
  return original;
}

/**
 * Waits until the engine workers have handled everything published so far under `key`: a request for a
 * fresh run, sent under the same key, lands on the same partition and so is handled after the others.
 */
async function drain(key: string) {
  const id = newId();
  await p.sql(`insert into "executions"."executions" ("id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id",
      "input_file_name", "input_storage_key", "steps", "status", "idempotency_key", "requested_by", "sequence", "created_at")
    select ?, "tenant_id", "workflow_id", "workflow_version_id", "input_file_id", "input_file_name", "input_storage_key", "steps",
      'PENDING', ?, "requested_by", 1, now() from "executions"."executions" where "id" = ?`, [id, randomUUID(), key]);
  const [row] = await p.sql<any>('select * from "executions"."executions" where "id" = ?', [id]);
  const sentinel = requestedMessage({ id, tenantId: row.tenant_id, workflowId: row.workflow_id, workflowVersionId: row.workflow_version_id, inputFileId: row.input_file_id, attempt: 0 });
  await p.platform.bus.publish(TOPICS.executionRequested, [{ key, value: sentinel.payload, headers: sentinel.headers }]);
  expect((await acme.ended(id)).status).toBe('SUCCEEDED');
}

describe('a redelivered ExecutionRequested', () => {
  it('changes nothing about a run that already SUCCEEDED: not the run, its steps, its logs or its outbox', async () => {
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    expect((await acme.ended(id)).status).toBe('SUCCEEDED');
    await until('the run\'s events to be sent', async () => ((await snapshot(id)).outbox.every((r) => r.sent_at) ? true : undefined));
    const before = await snapshot(id);
    expect(before.steps).toHaveLength(3);

    await redeliver(id);
    await redeliver(id);
    await drain(id);

    expect(await snapshot(id)).toEqual(before);
  });
});

describe('a run redone after its worker died', () => {
  it('writes its artifact under the same key as the first attempt, replacing it, and keeps the same file', async () => {
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    const first = await acme.ended(id);
    expect(first).toMatchObject({ status: 'SUCCEEDED', attempt: 1, artifacts: [{ name: 'summary.xlsx' }] });
    const dir = join(p.storageDir, acme.tenantId, 'artifacts', id);
    const key = artifactKey({ tenantId: acme.tenantId, id }, 'summary.xlsx');
    expect(await readdir(dir)).toEqual(['summary.xlsx']);
    const firstObject = await stat(join(p.storageDir, key));
    const firstBytes = await readFile(join(p.storageDir, key));

    // The state a worker leaves behind when it dies after storing and registering its artifacts but before
    // recording the outcome: RUNNING under its lease (now expired), nothing recorded.
    await p.sql(`update "executions"."executions" set "status" = 'RUNNING', "phase" = 'WRITING', "lease_owner" = 'dead-worker',
      "lease_expires_at" = now() - interval '1 second', "artifacts" = null, "finished_at" = null where "id" = ?`, [id]);
    await p.sql('delete from "executions"."step_runs" where "execution_id" = ?', [id]);
    await redeliver(id);

    const redone = await until('the redo to finish', async () => {
      const run = await acme.ended(id);
      return run.attempt === 2 ? run : undefined;
    });
    expect(redone).toMatchObject({ status: 'SUCCEEDED', error: null, artifacts: [{ id: first.artifacts[0].id, name: 'summary.xlsx' }] });
    expect(redone.steps).toEqual(first.steps);
    expect(await readdir(dir)).toEqual(['summary.xlsx']);
    const secondObject = await stat(join(p.storageDir, key));
    expect(secondObject.ino).not.toBe(firstObject.ino);
    expect(secondObject.size).toBe(firstObject.size);
    // Byte for byte the same (the engine's xlsx carries no timestamps): the registered size and hash stay true,
    // and a late write of a worker that lost its lease (paused past it) can only write these same bytes.
    expect(await readFile(join(p.storageDir, key))).toEqual(firstBytes);
  });

  it('derives the artifact key from the tenant, the run and the artifact name only, never leaving the run\'s folder', () => {
    const run = { tenantId: 't-1', id: 'r-1' };
    expect(artifactKey(run, 'summary.xlsx')).toBe('t-1/artifacts/r-1/summary.xlsx');
    expect(artifactKey({ ...run, attempt: 2 } as typeof run, 'summary.xlsx')).toBe('t-1/artifacts/r-1/summary.xlsx');
    expect(artifactKey(run, '../../etc/passwd')).toMatch(/^t-1\/artifacts\/r-1\/[0-9a-f]{16}-etc_passwd$/);
    expect(artifactKey(run, '...')).toMatch(/^t-1\/artifacts\/r-1\/[0-9a-f]{16}-artifact$/);
  });

  it('gives names that are made safe alike keys of their own', () => {
    const run = { tenantId: 't-1', id: 'r-1' };
    const names = ['a b.csv', 'a_b.csv', 'a?b.csv', '東京.csv', '大阪.csv', '.csv', 'csv'];
    expect(new Set(names.map((n) => artifactKey(run, n))).size).toBe(names.length);
    expect(artifactKey(run, '東京.csv')).toBe(artifactKey(run, '東京.csv'));
  });

  it('keeps a key\'s last part within 200 characters, whatever the name\'s length, and long names apart', () => {
    const run = { tenantId: 't-1', id: 'r-1' };
    const fits = `${'a'.repeat(196)}.csv`;
    expect(artifactKey(run, fits)).toBe(`t-1/artifacts/r-1/${fits}`);
    const long = [`${'a'.repeat(197)}.csv`, `${'b'.repeat(197)}.csv`, `x${'東'.repeat(250)}.csv`, `x${'a'.repeat(250)}.csv`];
    const parts = long.map((n) => artifactKey(run, n).split('/').pop()!);
    for (const part of parts) expect(part).toMatch(/^[0-9a-f]{16}-.*\.csv$/);
    expect(Math.max(...parts.map((p) => p.length))).toBe(200);
    expect(new Set(parts).size).toBe(long.length);
  });
});
