import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFaultScene, type FaultScene } from './support/scene.js';

// Each test waits out group rebalances (6 s session timeout) and worker start-ups, on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let s: FaultScene;
beforeAll(async () => { s = await startFaultScene({ brokers: (await kafkaServer()).brokers }); });
afterAll(async () => { await s?.stop(); });

describe('an engine worker paused (SIGSTOP) mid-run past its session timeout and lease, then resumed', () => {
  it('loses the run to another worker, which ends it once; the resumed worker leaves it and goes on working', async () => {
    // It holds the run at `after-claim` until it is resumed (SIGCONT ends the pause), so it is stopped right
    // there however long this process takes to see the FAULT line.
    const paused = await s.worker({ fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '200000' } });
    let exited = false;
    void paused.exited.then(() => { exited = true; });
    const id = await s.submit();
    expect((await paused.fault).executionId).toBe(id);
    paused.signal('SIGSTOP');
    const [held] = await s.p.sql<{ attempt: number; status: string }>('select "attempt", "status" from "executions"."executions" where "id" = ?', [id]);
    expect(held).toEqual({ attempt: 1, status: 'RUNNING' });

    await s.worker();
    // The group hands the stopped worker's partitions over after its session timeout; its lease is over by then.
    expect(await s.checker.ended(id)).toBe('SUCCEEDED');
    const [row] = await s.p.sql<{ attempt: number }>('select "attempt" from "executions"."executions" where "id" = ?', [id]);
    expect(row!.attempt).toBe(2);

    paused.signal('SIGCONT');
    // Both workers now share the group again; more runs go to either, and every run ends exactly once.
    for (let i = 0; i < 4; i++) await s.submit();
    await s.checker.verify();
    expect(exited, paused.output()).toBe(false);
    const [after] = await s.p.sql<{ attempt: number; status: string }>('select "attempt", "status" from "executions"."executions" where "id" = ?', [id]);
    expect(after).toEqual({ attempt: 2, status: 'SUCCEEDED' });
  });
});
