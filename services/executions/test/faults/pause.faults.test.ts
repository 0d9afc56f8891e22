import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from '../support/platform.js';
import { startChecker } from './support/checker.js';
import { kill, spawnWorker, type WorkerProcess } from './support/worker-process.js';

// Each test waits out group rebalances (6 s session timeout) and worker start-ups, on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let brokers: string[];
let p: ExecutionsPlatform;
let checker: Awaited<ReturnType<typeof startChecker>>;
let acme: Tenant;
let versionId: string;
let fileId: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  ({ brokers } = await kafkaServer());
  p = await startExecutionsPlatform({ kafkaBrokers: brokers, executions: { runWorkers: false } });
  checker = await startChecker(p, brokers);
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow());
  fileId = await acme.upload();
});
afterAll(async () => {
  for (const w of workers) await kill(w);
  await checker?.stop();
  await p?.stop();
});

async function submit() {
  const id = await acme.run({ workflowVersionId: versionId, fileId });
  checker.accept(id, acme.tenantId);
  return id;
}

describe('an engine worker paused (SIGSTOP) mid-run past its session timeout and lease, then resumed', () => {
  it('loses the run to another worker, which ends it once; the resumed worker leaves it and goes on working', async () => {
    // It holds the run for a moment at `after-claim`: long enough to be stopped right there.
    const paused = spawnWorker(p.workerEnv(), { fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '1500' } });
    workers.push(paused);
    await paused.ready;
    const id = await submit();
    expect((await paused.fault).executionId).toBe(id);
    paused.signal('SIGSTOP');

    const other = spawnWorker(p.workerEnv());
    workers.push(other);
    await other.ready;
    // The group hands the stopped worker's partitions over after its session timeout; its lease is over by then.
    expect(await checker.ended(id)).toBe('SUCCEEDED');
    const [row] = await p.sql<{ attempt: number }>('select "attempt" from "executions"."executions" where "id" = ?', [id]);
    expect(row!.attempt).toBe(2);

    paused.signal('SIGCONT');
    // Both workers now share the group again; more runs go to either, and every run ends exactly once.
    for (let i = 0; i < 4; i++) await submit();
    await checker.verify();
    expect(await Promise.race([paused.exited.then(() => 'exited'), Promise.resolve('alive')])).toBe('alive');
    const [after] = await p.sql<{ attempt: number; status: string }>('select "attempt", "status" from "executions"."executions" where "id" = ?', [id]);
    expect(after).toEqual({ attempt: 2, status: 'SUCCEEDED' });
  });
});
