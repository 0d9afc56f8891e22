import { rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExecutionEvent, ExecutionStatus } from '@rowline/proto';
import { codesOf, SUMMARY_STEPS, startExecutionsPlatform, until, type ExecutionsPlatform, type Tenant } from './support/platform.js';

let p: ExecutionsPlatform;
let acme: Tenant;
let other: Tenant;
let fileId: string;

// A fast sweeper and a backoff long enough to act between two attempts.
beforeAll(async () => {
  p = await startExecutionsPlatform({ executions: { sweepIntervalMs: 200, retryBackoffMs: 1500, maxAttempts: 3 } });
  acme = await p.tenant('Acme');
  other = await p.tenant('Other Co');
  fileId = await acme.upload();
});
afterAll(async () => { await p?.stop(); });

const RETRY = `mutation($i: RetryExecutionInput!) { retryExecution(input: $i) { id status retryOf } }`;
const BROKEN = [
  { type: 'filter', params: { sheet: 'Sales', where: { column: 'colour', op: 'eq', value: 'red' } } },
  { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];
const outboxTypes = async (id: string) => (await p.sql<{ type: string }>(
  `select "headers"->>'event-type' as "type" from "executions"."outbox" where "key" = ? order by "id"`, [id])).map((r) => r.type);
/** The code and ending status of a run's last event, as subscribers' gateways read it. */
async function lastFailed(id: string) {
  const [row] = await p.sql<{ payload: Uint8Array }>(`select "payload" from "executions"."outbox" where "key" = ? order by "id" desc limit 1`, [id]);
  const { payload } = decodeExecutionEvent(row!.payload);
  return payload.case === 'failed' ? { code: payload.value.code, status: ExecutionStatus[payload.value.status] } : payload.case;
}

describe('retryExecution', () => {
  it('starts a new run of the same version linked to the old one, and one of the latest version when asked', async () => {
    const { workflowId, versionId } = await acme.workflow(BROKEN, 'Fixable');
    const first = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId }));
    expect(first.status).toBe('FAILED');

    const same = await acme.api.request(RETRY, { i: { executionId: first.id } });
    expect(same.errors).toBeUndefined();
    expect(same.data.retryExecution).toMatchObject({ retryOf: first.id });
    const again = await acme.ended(same.data.retryExecution.id);
    expect(again).toMatchObject({ status: 'FAILED', retryOf: first.id, workflowVersion: { id: versionId } });

    const saved = await acme.api.request(`mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id } }`,
      { i: { workflowId, baseVersionId: versionId, steps: SUMMARY_STEPS } });
    expect(saved.errors).toBeUndefined();
    const latest = await acme.api.request(RETRY, { i: { executionId: again.id, useLatestVersion: true } });
    const fixed = await acme.ended(latest.data.retryExecution.id);
    expect(fixed).toMatchObject({ status: 'SUCCEEDED', retryOf: again.id, workflowVersion: { id: saved.data.saveWorkflowVersion.id } });
    // The old runs are left as they ended.
    expect((await acme.ended(first.id)).status).toBe('FAILED');
  });

  it('answers the same retry for the same idempotencyKey', async () => {
    const { versionId } = await acme.workflow();
    const done = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId }));
    const a = await acme.api.request(RETRY, { i: { executionId: done.id, idempotencyKey: 'retry-once' } });
    const b = await acme.api.request(RETRY, { i: { executionId: done.id, idempotencyKey: 'retry-once' } });
    expect(a.data.retryExecution.id).toBe(b.data.retryExecution.id);
    expect(await p.sql('select "id" from "executions"."executions" where "retry_of" = ?', [done.id])).toHaveLength(1);
  });

  it('answers NOT_FOUND for another tenant\'s run and starts nothing', async () => {
    const { versionId } = await acme.workflow();
    const done = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId }));
    const result = await other.api.request(RETRY, { i: { executionId: done.id } });
    expect(codesOf(result)).toEqual(['NOT_FOUND']);
    expect(await p.sql('select "id" from "executions"."executions" where "retry_of" = ?', [done.id])).toEqual([]);
  });

  it('answers CONFLICT for a run that has not ended', async () => {
    const { versionId } = await acme.workflow();
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    await acme.ended(id);
    await p.sql(`update "executions"."executions" set "status" = 'RUNNING', "lease_owner" = 'w', "lease_expires_at" = now() + interval '1 hour' where "id" = ?`, [id]);
    const result = await acme.api.request(RETRY, { i: { executionId: id } });
    expect(codesOf(result)).toEqual(['CONFLICT']);
    await p.sql(`update "executions"."executions" set "status" = 'SUCCEEDED', "lease_owner" = null where "id" = ?`, [id]);
  });
});

describe('timeouts', () => {
  it('refuses a timeoutSeconds outside 1..86400 with BAD_USER_INPUT', async () => {
    const { versionId } = await acme.workflow();
    for (const timeoutSeconds of [0, 86_401]) {
      const result = await acme.start({ workflowVersionId: versionId, fileId, timeoutSeconds } as never);
      expect(codesOf(result)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('ends TIMED_OUT a run waiting for its redo past its deadline', async () => {
    const { versionId } = await acme.workflow();
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    await acme.ended(id);
    // A run that started two seconds ago with a one-second timeout and is waiting QUEUED for a redo.
    await p.sql(`update "executions"."executions" set "status" = 'QUEUED', "finished_at" = null, "timeout_ms" = 1000,
      "started_at" = now() - interval '2 seconds' where "id" = ?`, [id]);
    const run = await acme.ended(id);
    expect(run).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' } });
    expect((await outboxTypes(id)).slice(-2)).toEqual(['statusChanged', 'failed']);
    expect(await lastFailed(id)).toEqual({ code: 'TIMED_OUT', status: 'TIMED_OUT' });
  });
});

describe('a run whose worker died', () => {
  it('is re-queued by the sweeper once its lease expired and redone to SUCCEEDED, with one artifact set', async () => {
    const { versionId } = await acme.workflow();
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    const first = await acme.ended(id);
    // What a worker killed mid-run leaves: RUNNING under an expired lease, its message already committed.
    await p.sql(`update "executions"."executions" set "status" = 'RUNNING', "lease_owner" = 'dead-worker', "finished_at" = null,
      "lease_expires_at" = now() - interval '1 second', "artifacts" = null where "id" = ?`, [id]);
    const redone = await until('the redo', async () => {
      const run = await acme.ended(id);
      return run.attempt === 2 ? run : undefined;
    });
    expect(redone).toMatchObject({ status: 'SUCCEEDED', artifacts: first.artifacts });
    expect(redone.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('lost its worker') }));
  });

  it('ends FAILED with WORKER_LOST when every attempt lost its worker', async () => {
    const { versionId } = await acme.workflow();
    const id = await acme.run({ workflowVersionId: versionId, fileId });
    await acme.ended(id);
    await p.sql(`update "executions"."executions" set "status" = 'RUNNING', "lease_owner" = 'dead-worker', "finished_at" = null, "attempt" = 3,
      "lease_expires_at" = now() - interval '1 second' where "id" = ?`, [id]);
    const run = await until('the sweeper to give up', async () => {
      const r = await acme.ended(id);
      return r.error?.code === 'WORKER_LOST' ? r : undefined;
    });
    expect(run).toMatchObject({ status: 'FAILED', attempt: 3 });
  });
});

/**
 * Makes storage fail to give a file for a while, other than as missing (which fails the run at once): a symlink
 * to itself in its place, whose open fails with ELOOP, as a disk or an S3 endpoint that errs would. Answers the undo.
 */
async function unreadable(fileId: string): Promise<() => Promise<void>> {
  const [row] = await p.sql<{ storage_key: string }>(`select "storage_key" from "files"."files" where "id" = ?`, [fileId]);
  const path = join(p.storageDir, row!.storage_key);
  await rename(path, `${path}.away`);
  await symlink(path, path);
  return async () => { await rm(path); await rename(`${path}.away`, path); };
}

describe('transient failures', () => {
  it('are retried after a backoff: a run whose input was briefly unreadable SUCCEEDS on its second attempt', async () => {
    const { versionId } = await acme.workflow();
    const file = await acme.upload('Flaky.xlsx');
    const restore = await unreadable(file);
    const id = await acme.run({ workflowVersionId: versionId, fileId: file });
    await until('the first attempt to fail', async () => ((await p.sql(
      `select 1 from "executions"."execution_logs" where "execution_id" = ? and "message" like 'Attempt 1 failed%'`, [id])).length ? true : undefined));
    await restore();
    const run = await acme.ended(id);
    // Attempt 2 begins one backoff (1.5 s) after the failure: on a slow machine the file may come back only
    // after it began, and attempt 3 succeeds. Either way the run was retried and succeeded.
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempt).toBeGreaterThanOrEqual(2);
    expect(await outboxTypes(id)).toContain('statusChanged');
  });

  it('end the run FAILED after the last attempt, each attempt logged', async () => {
    const { versionId } = await acme.workflow();
    const file = await acme.upload('Unreadable.xlsx');
    const restore = await unreadable(file);
    try {
      const run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: file }));
      expect(run).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'INTERNAL' } });
      expect(run.logs.filter((l: { message: string }) => /^Attempt \d failed/.test(l.message))).toHaveLength(2);
    } finally {
      await restore();
    }
  });
});

describe('metrics', () => {
  it('counts runs started, succeeded and failed, their durations and the queue depth on /metrics', async () => {
    const { versionId } = await acme.workflow();
    await acme.ended(await acme.run({ workflowVersionId: versionId, fileId }));
    const broken = await acme.workflow(BROKEN, 'Broken');
    await acme.ended(await acme.run({ workflowVersionId: broken.versionId, fileId }));
    // The table first, then the counters: runs of earlier tests may still end in between, and counters only grow.
    const [runs] = await p.sql<{ ok: number; failed: number }>(`select count(*) filter (where "status" = 'SUCCEEDED' and "attempt" > 0)::int as "ok",
      count(*) filter (where "status" = 'FAILED' and "error"->>'code' <> 'WORKER_LOST')::int as "failed" from "executions"."executions"`);
    const text = await (await fetch(`${p.platform.urls.executions}/metrics`)).text();
    const value = (name: string, label = '') => Number(text.split('\n')
      .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label))?.split(' ').pop());
    expect(value('rowline_executions_succeeded_total')).toBeGreaterThanOrEqual(runs!.ok);
    expect(value('rowline_executions_failed_total', 'status="FAILED"')).toBeGreaterThanOrEqual(runs!.failed);
    expect(value('rowline_executions_started_total')).toBeGreaterThan(0);
    expect(value('rowline_execution_duration_seconds_count', 'status="SUCCEEDED"')).toBeGreaterThanOrEqual(runs!.ok);
    expect(text).toMatch(/^rowline_executions_queue_depth\{status="QUEUED"[^}]*\} \d+$/m);
  });
});
