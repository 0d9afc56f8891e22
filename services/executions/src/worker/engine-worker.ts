import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusMessage, EventBus } from '@rowline/bus';
import { EngineError, runWorkflow } from '@rowline/engine';
import { decodeExecutionRequested, ExecutionPhase, ExecutionStatus } from '@rowline/proto';
import type { Logger } from '@rowline/kit';
import type { Storage, StoredObject } from '@rowline/storage';
import { eventMessage, phaseToProto, type EventPayload } from '../events/messages.js';
import type { RunStore } from '../store/run-store.js';
import type { ArtifactRef, Execution, RunError } from '../store/entities.js';
import type { Phase } from '../domain/state-machine.js';

export type ArtifactRegistrar = (run: Execution, artifact: { name: string; storageKey: string; size: number; sha256: string; contentType: string }) => Promise<{ id: string }>;

const CONTENT_TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv' } as const;

/** Artifacts live under a key derived from the run and the name alone, so a redo replaces, never duplicates. */
export const artifactKey = (run: { tenantId: string; id: string }, name: string) =>
  `${run.tenantId}/artifacts/${run.id}/${name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '') || 'artifact'}`;

/** Failures worth another attempt (storage or a sibling service briefly away), unlike a bad workflow. */
class TransientError extends Error {}

/**
 * The engine worker's handler for one ExecutionRequested message. It returns (so the offset is committed)
 * only once the run's outcome is durable in Postgres, or when the run is not this worker's to run.
 */
export function createEngineWorker(deps: {
  store: RunStore; storage: Storage; bus: EventBus; logger: Logger; workerId: string;
  registerArtifact: ArtifactRegistrar; onOutbox: () => void;
  leaseMs?: number; maxAttempts?: number; progressIntervalMs?: number;
}) {
  const leaseMs = deps.leaseMs ?? 30_000;
  const maxAttempts = deps.maxAttempts ?? 3;

  async function claim(executionId: string): Promise<Execution | null> {
    for (;;) {
      const result = await deps.store.claim(executionId, deps.workerId, leaseMs);
      if (result.kind === 'claimed') return result.run;
      if (result.kind !== 'busy') return null;
      // Another worker holds a live lease (or held it and died): wait for it to finish or expire.
      await sleep(Math.min(Math.max(result.retryAt.getTime() - Date.now(), 50), leaseMs) + 50);
    }
  }

  async function handle(message: BusMessage): Promise<void> {
    const request = decodeExecutionRequested(message.value);
    const run = await claim(request.executionId);
    if (!run) return;
    const log = deps.logger.child({ executionId: run.id, tenantId: run.tenantId, attempt: run.attempt });
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      deps.store.heartbeat(run.id, deps.workerId, leaseMs)
        .then((owned) => { if (!owned) abort.abort(new Error('lease lost')); })
        .catch((err) => log.warn({ err }, 'heartbeat failed'));
    }, Math.max(leaseMs / 3, 100));
    try {
      await moveTo(run, 'RUNNING', 'READING', [statusEvent(ExecutionStatus.RUNNING, 'READING')]);
      const outcome = await execute(run, abort.signal);
      const ok = await deps.store.transition(run, deps.workerId, outcome);
      if (!ok) log.info('run was taken over or cancelled; result dropped');
      deps.onOutbox();
    } catch (err) {
      if (err instanceof TransientError && run.attempt < maxAttempts) {
        log.warn({ err }, 'transient failure; the run goes back to the queue');
        await deps.store.transition(run, deps.workerId, { status: 'QUEUED', phase: null, events: [statusEvent(ExecutionStatus.QUEUED, null)], logs: [{ level: 'warn', message: `Attempt ${run.attempt} failed: ${(err as Error).message}; retrying` }] });
        throw err; // the bus retries the message after a backoff
      }
      log.error({ err }, 'run failed');
      const error: RunError = { code: 'INTERNAL', message: 'The run failed unexpectedly', step: null };
      await deps.store.transition(run, deps.workerId, failure(error, []));
      deps.onOutbox();
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function moveTo(run: Execution, status: 'RUNNING', phase: Phase, events: EventPayload[]) {
    await deps.store.transition(run, deps.workerId, { status, phase, events });
    deps.onOutbox();
  }

  async function execute(run: Execution, signal: AbortSignal) {
    const writes: Array<Promise<StoredObject & { name: string; contentType: string }>> = [];
    let lastProgress = 0;
    try {
      const result = await runWorkflow({
        steps: run.steps,
        input: {
          fileName: run.inputFileName,
          open: async () => {
            try { return await deps.storage.get(run.inputStorageKey); }
            catch (err) { throw new TransientError(`input unavailable: ${(err as Error).message}`); }
          },
        },
        openArtifact: async (name, format) => {
          const body = new PassThrough();
          const contentType = CONTENT_TYPES[format];
          writes.push(deps.storage.put(artifactKey(run, name), body, { contentType }).then((o) => ({ ...o, name, contentType })));
          return body;
        },
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastProgress < (deps.progressIntervalMs ?? 250)) return;
          lastProgress = now;
          const percent = p.percent ?? null;
          void deps.store.setProgress(run.id, deps.workerId, { phase: p.phase, percent, rowsProcessed: p.rowsProcessed }).catch(() => {});
          // Progress is coalescable: published directly (sequence 0), not through the outbox.
          const m = eventMessage(run, 0, { case: 'progress', value: { phase: phaseToProto(p.phase), rowsProcessed: BigInt(p.rowsProcessed), percent: percent ?? -1 } });
          void deps.bus.publish(m.topic, [{ key: m.key, value: m.payload, headers: m.headers ?? {} }]).catch(() => {});
        },
        signal,
      });
      let stored: Awaited<(typeof writes)[number]>[];
      try { stored = await Promise.all(writes); }
      catch (err) { throw new TransientError(`artifact storage failed: ${(err as Error).message}`); }
      const artifacts: ArtifactRef[] = [];
      for (const o of stored) {
        let registered: { id: string };
        try { registered = await deps.registerArtifact(run, { name: o.name, storageKey: o.key, size: o.size, sha256: o.sha256, contentType: o.contentType }); }
        catch (err) { throw new TransientError(`artifact registration failed: ${(err as Error).message}`); }
        artifacts.push({ fileId: registered.id, name: o.name, size: o.size, sha256: o.sha256, contentType: o.contentType });
      }
      const steps = result.steps.map((s) => ({ index: s.index, type: s.type, status: s.status, rowsIn: s.rowsIn, rowsOut: s.rowsOut, durationMs: Math.round(s.durationMs) }));
      return {
        status: 'SUCCEEDED' as const, phase: null, artifacts, steps, rowsProcessed: steps[0]?.rowsIn ?? 0,
        logs: result.logs.map((l) => ({ level: l.level, message: l.message, step: l.step ?? null })),
        events: [
          ...steps.map((s): EventPayload => ({ case: 'stepFinished', value: { ...s, rowsIn: BigInt(s.rowsIn), rowsOut: BigInt(s.rowsOut), durationMs: BigInt(s.durationMs) } })),
          statusEvent(ExecutionStatus.SUCCEEDED, null),
          { case: 'succeeded', value: { artifacts: artifacts.map((a) => ({ fileId: a.fileId, name: a.name, size: BigInt(a.size), sha256: a.sha256, contentType: a.contentType })) } } as EventPayload,
        ],
      };
    } catch (err) {
      await Promise.allSettled(writes);
      if (err instanceof EngineError) {
        if (err.code === 'CANCELLED') return failure({ code: 'CANCELLED', message: 'The run was cancelled', step: null }, [], 'CANCELLED');
        const steps = (err.steps ?? []).map((s) => ({ index: s.index, type: s.type, status: s.status, rowsIn: s.rowsIn, rowsOut: s.rowsOut, durationMs: Math.round(s.durationMs) }));
        return { ...failure({ code: err.code, message: err.message, step: err.step ?? null }, [{ level: 'error', message: err.message, step: err.step ?? null }]), steps };
      }
      throw err;
    }
  }

  return { handle };
}

function statusEvent(status: ExecutionStatus, phase: Phase | null): EventPayload {
  return { case: 'statusChanged', value: { status, phase: phase ? ExecutionPhase[phase] : ExecutionPhase.UNSPECIFIED } };
}

function failure(error: RunError, logs: Array<{ level: string; message: string; step: number | null }>, status: 'FAILED' | 'CANCELLED' = 'FAILED') {
  return {
    status, phase: null, error, logs,
    events: [
      statusEvent(ExecutionStatus[status], null),
      { case: 'failed', value: { code: error.code, message: error.message, step: error.step ?? -1 } } as EventPayload,
    ],
  };
}
