import { startExecutionsPlatform, type ExecutionsPlatform, type Tenant } from '../../support/platform.js';
import { startChecker } from './checker.js';
import { kill, spawnWorker, type WorkerProcess } from './worker-process.js';

/**
 * What every fault test stands on: the API side of executions in the test process (no workers of its own) on
 * real Kafka, a checker of every accepted run, a tenant with a workflow and an uploaded input, and the engine
 * workers the test spawns as processes of their own (killed when the scene stops).
 */
export async function startFaultScene(opts: { brokers: string[]; database?: { url: string; drop(): Promise<void> } }) {
  const p: ExecutionsPlatform = await startExecutionsPlatform({ kafkaBrokers: opts.brokers, database: opts.database, executions: { runWorkers: false } });
  const checker = await startChecker(p, opts.brokers);
  const acme: Tenant = await p.tenant('Acme');
  const { versionId } = await acme.workflow();
  const fileId = await acme.upload();
  const workers: WorkerProcess[] = [];
  return {
    p, checker, acme,
    /** An engine worker process, once it is up. */
    async worker(options: Parameters<typeof spawnWorker>[1] = {}): Promise<WorkerProcess> {
      const w = spawnWorker(p.workerEnv(), options);
      workers.push(w);
      checker.watch(w.output);
      await w.ready;
      return w;
    },
    /** Starts a run of the workflow and tells the checker it was accepted. */
    async submit(): Promise<string> {
      const id = await acme.run({ workflowVersionId: versionId, fileId });
      checker.accept(id, acme.tenantId);
      return id;
    },
    async stop(): Promise<void> {
      for (const w of workers) await kill(w);
      await checker.stop();
      await p.stop();
    },
  };
}
export type FaultScene = Awaited<ReturnType<typeof startFaultScene>>;
