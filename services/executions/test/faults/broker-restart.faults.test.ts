import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The local JVM broker of packages/testing (scripts/kafka), started here for this file alone: it is restarted.
import { findJava, provision } from '../../../../scripts/kafka/provision.mjs';
import { startBroker } from '../../../../scripts/kafka/server.mjs';
import { startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from '../support/platform.js';
import { startChecker } from './support/checker.js';
import { kill, spawnWorker, type WorkerProcess } from './support/worker-process.js';

vi.setConfig({ testTimeout: 240_000 });

let broker: { brokers: string[]; stop(): Promise<void>; restart(): Promise<void> };
let p: ExecutionsPlatform;
let checker: Awaited<ReturnType<typeof startChecker>>;
let acme: Tenant;
let versionId: string;
let fileId: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  broker = await startBroker({ java: findJava(), libs: provision() });
  p = await startExecutionsPlatform({ kafkaBrokers: broker.brokers, executions: { runWorkers: false } });
  checker = await startChecker(p, broker.brokers);
  acme = await p.tenant('Acme');
  ({ versionId } = await acme.workflow());
  fileId = await acme.upload();
}, 300_000);
afterAll(async () => {
  for (const w of workers) await kill(w);
  await checker?.stop();
  await p?.stop();
  await broker?.stop();
});

describe('the Kafka broker restarted while a worker is mid-run', () => {
  it('loses no run and ends each once, with one artifact set and its events in order', async () => {
    const w = spawnWorker(p.workerEnv(), { fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '2000' } });
    workers.push(w);
    await w.ready;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await acme.run({ workflowVersionId: versionId, fileId });
      checker.accept(id, acme.tenantId);
      ids.push(id);
    }
    expect(ids).toContain((await w.fault).executionId);
    await broker.restart();
    // Runs accepted while the broker came back wait in the outbox and are published once it answers.
    for (let i = 0; i < 2; i++) checker.accept(await acme.run({ workflowVersionId: versionId, fileId }), acme.tenantId);
    await checker.verify();
  });
});
