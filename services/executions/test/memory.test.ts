import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPool } from '@rowline/engine';
import { kafkaServer } from '@rowline/testing';
import { startExecutionsPlatform, until, type ExecutionsPlatform, type Tenant } from './support/platform.js';

// The worker's memory for runs, kept here so that a test can stand for "other runs" holding part of it.
const POOL_BYTES = 512 * 1024;
const pool = new MemoryPool(POOL_BYTES);
const SORT = [
  { type: 'sort', params: { sheet: 'Sales', by: [{ column: 'amount', direction: 'desc' }] } },
  { type: 'output', params: { artifacts: [{ name: 'sorted.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
];

let p: ExecutionsPlatform;
let acme: Tenant;
let versionId: string;
let small: string;

beforeAll(async () => {
  p = await startExecutionsPlatform({
    kafkaBrokers: (await kafkaServer()).brokers,
    executions: { memoryPool: pool, retryBackoffMs: 1000, maxAttempts: 3 },
  });
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow(SORT, 'Sorted sales'));
  small = await acme.upload('Small.xlsx', 60);
});
afterAll(async () => { await p?.stop(); });

const attemptLogs = (run: { logs: Array<{ message: string }> }) => run.logs.filter((l) => /^Attempt \d failed/.test(l.message)).map((l) => l.message);

describe('the memory an engine worker gives its runs together', () => {
  it('runs a sort that fits, and has it all back once the run ended', async () => {
    const run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: small }));
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(pool.peakBytes).toBeGreaterThan(0);
    expect(pool.usedBytes).toBe(0);
  });

  it('ends FAILED with TOO_LARGE at once, without retrying, a run that alone needs more than all of it', async () => {
    const large = await acme.upload('Large.xlsx', 5000);
    const run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: large }));
    expect(run).toMatchObject({ status: 'FAILED', attempt: 1, error: { code: 'TOO_LARGE', step: 0 } });
    expect(run.error.message).toMatch(/^sort of "Sales" needs more than the 512 KB of memory this process gives its runs$/);
    expect(attemptLogs(run)).toEqual([]);
    expect(pool.usedBytes).toBe(0);
  });

  it('has a run refused BUSY wait, RUNNING, while other runs hold the memory, and SUCCEED once they let go, on its first attempt', async () => {
    // Other runs hold nearly all of it.
    const held = POOL_BYTES - 1024;
    expect(pool.tryTake(held)).toBe(true);
    let released = false;
    try {
      const id = await acme.run({ workflowVersionId: versionId, fileId: small });
      await until('the run to wait for memory', async () => (pool.waitingCount > 0 ? true : undefined));
      const [waiting] = await p.sql<{ status: string; attempt: number }>(`select "status", "attempt" from "executions"."executions" where "id" = ?`, [id]);
      expect(waiting).toEqual({ status: 'RUNNING', attempt: 1 });
      // Longer than the MAX_ATTEMPTS retries of a transient failure would have taken (1 s, then 2 s).
      await new Promise((r) => setTimeout(r, 3_500));
      pool.give(held);
      released = true;
      const run = await acme.ended(id);
      expect(run).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
      // Refused at its first reservation (the input's shared strings or the sort's rows, as the sizes fall).
      expect(run.logs[0]).toEqual({
        level: 'info', step: null,
        message: expect.stringMatching(/^Waited \d+\.\d s for memory that other runs held: .+ needs more memory than is free now: other runs hold 511 KB of the 512 KB this process gives its runs$/),
      });
      expect(attemptLogs(run)).toEqual([]);
      expect(run.artifacts.map((a: { name: string }) => a.name)).toEqual(['sorted.csv']);
      expect(pool.usedBytes).toBe(0);
    } finally {
      if (!released) pool.give(held);
    }
  });

  it('ends TIMED_OUT a run still waiting for memory at its deadline, and CANCELLED one cancelled while waiting', async () => {
    const held = POOL_BYTES - 1024;
    expect(pool.tryTake(held)).toBe(true);
    try {
      const started = await acme.start({ workflowVersionId: versionId, fileId: small, timeoutSeconds: 2 } as never);
      expect(started.errors).toBeUndefined();
      const late = await acme.ended(started.data!.startExecution.id as string);
      expect(late).toMatchObject({ status: 'TIMED_OUT', error: { code: 'TIMED_OUT' } });

      const id = await acme.run({ workflowVersionId: versionId, fileId: small });
      await until('the run to wait for memory', async () => (pool.waitingCount > 0 ? true : undefined));
      const cancelled = await acme.api.request(`mutation($id: ID!) { cancelExecution(id: $id) { id status } }`, { id });
      expect(cancelled.errors).toBeUndefined();
      expect(await acme.ended(id)).toMatchObject({ status: 'CANCELLED' });
      await until('the cancelled run to stop waiting', async () => (pool.waitingCount === 0 ? true : undefined));
    } finally {
      pool.give(held);
    }
    expect(pool.usedBytes).toBe(0);
    const next = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: small }));
    expect(next).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
  });

  it('shows what it may hold and what runs hold now on /metrics', async () => {
    const text = await (await fetch(`${p.platform.urls.executions}/metrics`)).text();
    expect(text).toMatch(new RegExp(`^rowline_engine_memory_limit_bytes(\\{[^}]*\\})? ${POOL_BYTES}$`, 'm'));
    expect(text).toMatch(/^rowline_engine_memory_reserved_bytes(\{[^}]*\})? 0$/m);
    expect(text).toMatch(/^rowline_engine_memory_waiting_runs(\{[^}]*\})? 0$/m);
  });
});
