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

  it('retries a run refused BUSY while other runs hold the memory, and it SUCCEEDS once they let go', async () => {
    // Other runs hold nearly all of it.
    const held = POOL_BYTES - 1024;
    expect(pool.tryTake(held)).toBe(true);
    let released = false;
    try {
      const id = await acme.run({ workflowVersionId: versionId, fileId: small });
      await until('the first attempt to be refused', async () => ((await p.sql(
        `select 1 from "executions"."execution_logs" where "execution_id" = ? and "message" like 'Attempt 1 failed%'`, [id])).length ? true : undefined));
      pool.give(held);
      released = true;
      const run = await acme.ended(id);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.attempt).toBeGreaterThanOrEqual(2);
      // Refused at its first reservation (the input's shared strings or the sort's rows, as the sizes fall).
      expect(attemptLogs(run)[0]).toMatch(/^Attempt 1 failed: .+ needs more memory than is free now: other runs hold 511 KB of the 512 KB this process gives its runs; retrying in \d+ ms$/);
      expect(run.artifacts.map((a: { name: string }) => a.name)).toEqual(['sorted.csv']);
      expect(pool.usedBytes).toBe(0);
    } finally {
      if (!released) pool.give(held);
    }
  });

  it('ends FAILED with BUSY after the last attempt when the memory stays taken, and the worker goes on running others', async () => {
    const held = POOL_BYTES - 1024;
    expect(pool.tryTake(held)).toBe(true);
    let run;
    try {
      run = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: small }));
    } finally {
      pool.give(held);
    }
    expect(run).toMatchObject({ status: 'FAILED', attempt: 3, error: { code: 'BUSY', step: null } });
    expect(run.error.message).toMatch(/^The run failed 3 times: .+ needs more memory than is free now: other runs hold 511 KB/);
    expect(attemptLogs(run)).toHaveLength(2);
    expect(pool.usedBytes).toBe(0);
    const next = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: small }));
    expect(next).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
  });

  it('shows what it may hold and what runs hold now on /metrics', async () => {
    const text = await (await fetch(`${p.platform.urls.executions}/metrics`)).text();
    expect(text).toMatch(new RegExp(`^rowline_engine_memory_limit_bytes(\\{[^}]*\\})? ${POOL_BYTES}$`, 'm'));
    expect(text).toMatch(/^rowline_engine_memory_reserved_bytes(\{[^}]*\})? 0$/m);
  });
});
