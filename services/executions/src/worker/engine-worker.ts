import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import type { BusMessage, EventBus } from '@rowline/bus';
import { EngineError, fromLocalDisk, MemoryPool, runWorkflow } from '@rowline/engine';
import { decodeExecutionRequested } from '@rowline/proto';
import type { Logger } from '@rowline/kit';
import { causeOfType, withStreamErrors, type Storage, type StoredObject } from '@rowline/storage';
import { endedEvents, eventMessage, phaseToProto, statusEvent, type EventPayload } from '../events/messages.js';
import type { Change, RunStore } from '../store/run-store.js';
import type { ArtifactRef, Execution, RunError } from '../store/entities.js';
import type { Phase } from '../domain/state-machine.js';
import { NO_FAULTS, type FaultPoint } from './fault-points.js';
import { createRunWatch, type RunControl } from './run-watch.js';
import type { RunObserver } from './run-metrics.js';
import {
  artifactNotStored, databaseFault, failureText, FileUnavailable, filesServiceFault, RunFault, temporaryFileFault, workflowErrorText,
} from './run-failure.js';

export type ArtifactRegistrar = (run: Execution, artifact: { name: string; storageKey: string; size: number; sha256: string; contentType: string }) => Promise<{ id: string }>;


const CONTENT_TYPES = { xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv' } as const;

/**
 * The longest last part of an artifact's key. Local storage writes an object beside it under a temporary name 46
 * characters longer (`.<part>.<uuid>.partial`), which must fit a file system's 255-byte names; a longer part
 * (an artifact named after a long input file, through {input}) failed every attempt there with ENAMETOOLONG.
 */
const MAX_KEY_PART = 200;

/**
 * Artifacts live under a key derived from the run and the name alone, so a redo replaces, never duplicates.
 * A name that had to be made safe for a key, or is longer than a key's part may be, gets a hash of itself in
 * front (and keeps the end of its safe form, its extension): names made safe alike ("a b.csv" and "a_b.csv",
 * or "東京.csv" and "大阪.csv"), or cut alike, would otherwise be written over each other.
 */
export const artifactKey = (run: { tenantId: string; id: string }, name: string) => {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '') || 'artifact';
  const file = safe === name && name.length <= MAX_KEY_PART ? name
    : `${createHash('sha256').update(name).digest('hex').slice(0, 16)}-${safe.slice(-(MAX_KEY_PART - 17))}`;
  return `${run.tenantId}/artifacts/${run.id}/${file}`;
};

/**
 * The RunFault behind an engine's error (storage's trouble with a file or an artifact). The engine keeps what
 * `open` threw, or what a stream emitted, as the cause of the error it fails with (cannot open X: ..., cannot read
 * X: ..., writing artifact X failed: ...); looked for further down too, so that another layer of wrapping cannot
 * turn storage's trouble into the workflow's.
 */
const faultIn = (err: unknown) => causeOfType(err, RunFault);

/**
 * One of the run's files as storage streams it, its errors made FileUnavailable (storage's trouble, worth another
 * attempt: see withStreamErrors). The message is the file's name for users; storage's stays the cause, for the
 * worker's log.
 */
const fromStorage = (source: Readable, file: string): Readable => withStreamErrors(source, (err) => new FileUnavailable(file, err));

/**
 * The stream the engine writes artifact `name` into, and storage's write of it. Storage reads another stream, fed
 * from the engine's: it ends what it reads with its own error (a path, a bucket), and the engine would report
 * that as its own OUTPUT_FAILED, the workflow's error, with storage's message. The engine's stream fails with the
 * artifact's RunFault instead, which the worker takes for storage's trouble, also when storage failed before it
 * read a byte (a directory it cannot make): the engine would otherwise wait for it to read on, for ever. The
 * engine's stream ended as failed (the run stopped) ends storage's too, so that no partial object is kept.
 */
function toStorage(name: string, put: (body: Readable) => Promise<StoredObject>) {
  const body = new PassThrough();
  const stored = new PassThrough();
  // Storage answers its failure through `put`; destroyed after storage stopped reading it (a directory it
  // could not make), this stream's error has no listener of storage's, and must not end the process.
  stored.on('error', () => {});
  body.pipe(stored);
  body.once('close', () => { if (!stored.writableEnded) stored.destroy(body.errored ?? new Error('the artifact was not finished')); });
  const written = put(stored).catch((err: unknown) => {
    const fault = artifactNotStored(name, err);
    body.destroy(fault);
    throw fault;
  });
  return { body, written };
}

/** `work`, its failure the database's (a RunFault): for the store's calls within an attempt, whose failures users read of. */
const database = <T>(work: Promise<T>): Promise<T> => work.catch((err: unknown) => { throw databaseFault(err); });

/** The delay before attempt `attempt + 1`: `base`, doubling, capped at 30 s. */
export const retryDelay = (attempt: number, baseMs: number) => Math.min(baseMs * 2 ** (attempt - 1), 30_000);

export type WorkerOptions = {
  leaseMs?: number;
  /** Attempts of a run, the first included, before a failure that is not the workflow's own ends it FAILED. */
  maxAttempts?: number;
  /** Delay before the first retry of a transient failure; it doubles for each further one. */
  retryBackoffMs?: number;
  /** How often the worker asks Postgres whether its runs were cancelled, timed out or taken over. */
  cancelPollMs?: number;
  progressIntervalMs?: number;
  /**
   * What the runs of this worker may hold together for blocking steps (estimated bytes, as each run's own
   * 256 MB bound counts them). Default: half of V8's heap limit, which follows the container's memory limit.
   */
  memoryBytes?: number;
  /** The pool itself, when the caller keeps it (one per process); `memoryBytes` is then unused. */
  memoryPool?: MemoryPool;
};

/** The default of `memoryBytes`: half of V8's heap limit, the other half for everything else a worker holds. */
export const defaultEngineMemoryBytes = () => Math.floor(getHeapStatistics().heap_size_limit / 2);

/**
 * The engine worker's handler for one ExecutionRequested message. It returns (so the offset is committed)
 * only once the run's outcome is durable in Postgres, or when the run is not this worker's to run now
 * (finished, running elsewhere, or waiting QUEUED for a slot of its tenant). A run whose worker dies is the
 * sweeper's to re-queue, so a message never has to wait for a foreign lease to expire.
 */
export function createEngineWorker(deps: {
  store: RunStore; storage: Storage; bus: EventBus; logger: Logger; workerId: string;
  registerArtifact: ArtifactRegistrar; onOutbox: () => void; faults?: FaultPoint; observer?: RunObserver;
} & WorkerOptions) {
  const leaseMs = deps.leaseMs ?? 30_000;
  const maxAttempts = deps.maxAttempts ?? 3;
  const backoffMs = deps.retryBackoffMs ?? 500;
  const faults = deps.faults ?? NO_FAULTS;
  const progressIntervalMs = deps.progressIntervalMs ?? 250;
  // Each run is bounded on its own; this bounds them together, so that many at once cannot run the process
  // out of memory. A run refused for lack of it (BUSY) waits for the others to give some back (see attempt).
  const memoryPool = deps.memoryPool ?? new MemoryPool(deps.memoryBytes ?? defaultEngineMemoryBytes());
  const watch = createRunWatch({ store: deps.store, owner: deps.workerId, intervalMs: deps.cancelPollMs ?? 250, logger: deps.logger });

  async function handle(message: BusMessage): Promise<void> {
    const request = decodeExecutionRequested(message.value);
    await faults('before-claim', request.executionId);
    for (;;) {
      // The lease runs from the claim's sending at the latest: what `owned()` counts from.
      const claimSent = performance.now();
      const claim = await deps.store.claim(request.executionId, deps.workerId, leaseMs);
      if (claim.kind === 'late') {
        await end(claim.run, null, 'TIMED_OUT', { code: 'TIMED_OUT', message: `The run did not finish within ${claim.run.timeoutMs} ms`, step: null });
        return;
      }
      if (claim.kind !== 'claimed') {
        if (claim.kind === 'queued') deps.onOutbox();
        return;
      }
      const retryIn = await attempt(claim.run, claimSent);
      if (retryIn === undefined) return;
      await sleep(retryIn);
    }
  }

  async function end(run: Execution, owner: string | null, status: 'FAILED' | 'TIMED_OUT', error: RunError, before: EventPayload[] = []) {
    const moved = await deps.store.transition(run, owner, { status, from: ['QUEUED', 'RUNNING'], phase: null, error, events: [...before, ...endedEvents(status, error)], logs: [{ level: 'error', message: error.message }] });
    deps.onOutbox();
    if (moved) deps.observer?.ended(status, run.startedAt ?? null);
  }

  /** One attempt of a claimed run; answers the delay before the next one, or undefined when the run is settled. */
  async function attempt(run: Execution, claimSent: number): Promise<number | undefined> {
    const log = deps.logger.child({ executionId: run.id, tenantId: run.tenantId, attempt: run.attempt });
    deps.observer?.started(run);
    const control = watch.add(run, leaseMs, claimSent);
    const start = reportStart(run);
    try {
      await faults('after-claim', run.id);
      // A worker stopped here past its lease (SIGSTOP, a long GC) may find its run taken over: it leaves it.
      if (!(await database(control.owned()))) return settleAborted(run, control.reason(), log, await database(start.before()));
      let outcome = await execute(run, control, start);
      // Refused memory that other runs of this worker hold (BUSY): the run waits for them here, still RUNNING
      // on its lease, and runs again, until its deadline or a cancel stops it. It spends no attempt on it.
      const waitedSince = performance.now();
      let refusal: string | undefined;
      while (typeof outcome === 'object' && 'busy' in outcome) {
        refusal ??= outcome.busy;
        if (!(await waitForMemory(control.signal))) { outcome = 'aborted'; break; }
        outcome = await execute(run, control, start);
      }
      if (outcome === 'aborted') return settleAborted(run, control.reason(), log, await database(start.before()));
      if (refusal) {
        const waited = `Waited ${((performance.now() - waitedSince) / 1000).toFixed(1)} s for memory that other runs held: ${refusal}`;
        log.info(waited);
        outcome.logs = [{ level: 'info', message: waited, step: null }, ...(outcome.logs ?? [])];
      }
      await faults('after-effect', run.id);
      const events = [...await database(start.before()), ...outcome.events];
      const ok = await database(deps.store.transition(run, deps.workerId, { ...outcome, events }));
      if (ok) start.written();
      deps.onOutbox();
      if (!ok) log.info('run was taken over or cancelled; result dropped');
      else deps.observer?.ended(outcome.status, run.startedAt ?? null);
      await faults('after-record', run.id);
      return undefined;
    } catch (err) {
      const before = await start.before();
      if (control.reason()) return settleAborted(run, control.reason(), log, before);
      if (run.attempt < maxAttempts) {
        const delay = retryDelay(run.attempt, backoffMs);
        log.warn({ err }, 'attempt failed; the run waits QUEUED for its retry');
        const message = `Attempt ${run.attempt} failed: ${failureText(err)}; retrying in ${delay} ms`;
        const queued = await deps.store.transition(run, deps.workerId, { status: 'QUEUED', phase: null, events: [...before, statusEvent('QUEUED', null)], logs: [{ level: 'warn', message }] });
        deps.onOutbox();
        return queued ? delay : undefined;
      }
      log.error({ err }, 'run failed on its last attempt');
      await end(run, deps.workerId, 'FAILED', { code: 'INTERNAL', message: `The run failed ${maxAttempts} times: ${failureText(err)}`.slice(0, 500), step: null }, before);
      return undefined;
    } finally {
      start.stop();
      control.done();
    }
  }

  /**
   * The RUNNING event of a claimed run (the claim itself made the run RUNNING in Postgres). It is written one
   * progress interval into the run, in place of the first progress report and with its phase; a run that
   * ends sooner carries it in the statement that records its outcome, so a short run costs one statement and
   * one outbox drain less. Progress is published only once it is written: progress goes to Kafka directly,
   * the RUNNING event through the outbox, and a consumer must not see progress of a run still PENDING to it.
   */
  function reportStart(run: Execution) {
    let phase: Phase = 'READING';
    let pending = true;
    // A write whose answer was lost (the connection dropped): it may have committed.
    let uncertain = false;
    let ending = false;
    let writing: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let deferred: (() => void) | undefined;
    const event = () => statusEvent('RUNNING', phase);

    /** After a write whose answer was lost: the run's sequence tells whether it committed (see `before`). */
    async function settleUncertain(): Promise<void> {
      if (!uncertain || typeof run.sequence !== 'number') return;
      // While this worker holds the run, only this worker writes its events, and the RUNNING move wrote one.
      const sequence = await deps.store.ownedSequence(run.id, deps.workerId);
      uncertain = false;
      if (sequence === run.sequence + 1) {
        run.sequence = sequence;
        pending = false;
      }
    }

    async function write(): Promise<void> {
      try {
        await settleUncertain();
        if (pending) {
          uncertain = true;
          const moved = await deps.store.transition(run, deps.workerId, { status: 'RUNNING', phase, events: [event()] });
          uncertain = false;
          // Not moved: the run is no longer this worker's (the run watch stops it); the outcome's move fails too.
          if (!moved) return;
          pending = false;
          deps.onOutbox();
        }
        deferred?.();
        deferred = undefined;
      } catch (err) {
        // Not fatal: tried again one interval later, and the outcome's move carries the event if need be.
        deps.logger.warn({ err, executionId: run.id }, 'could not record that the run started');
        if (!ending) timer = setTimeout(() => { writing = write(); }, progressIntervalMs);
      }
    }
    timer = setTimeout(() => { writing = write(); }, progressIntervalMs);

    return {
      /**
       * The run reached `p`: true when its progress may be published now. Otherwise (the RUNNING event is not
       * written yet) `report` is kept, the latest one only, and made once the event is written.
       */
      progress(p: Phase, report: () => void): boolean {
        phase = p;
        if (pending) deferred = report;
        return !pending;
      },
      /**
       * The events the next move must write first: the RUNNING event while it is not written. Stops the timer
       * and waits for a write it began, so that the moves stay in order.
       */
      async before(): Promise<EventPayload[]> {
        ending = true;
        clearTimeout(timer);
        // The run is ending: its outcome says more than a late progress report.
        deferred = undefined;
        await writing;
        await settleUncertain();
        return pending ? [event()] : [];
      },
      /** A move carrying before()'s events was written. */
      written() { pending = false; },
      stop() {
        ending = true;
        clearTimeout(timer);
      },
    };
  }
  type StartReport = ReturnType<typeof reportStart>;

  /** A stopped run: it timed out here (this worker records it), or was cancelled or taken over elsewhere (nothing to record). */
  async function settleAborted(run: Execution, reason: string | undefined, log: Logger, before: EventPayload[]): Promise<undefined> {
    if (reason === 'timeout') {
      await end(run, deps.workerId, 'TIMED_OUT', { code: 'TIMED_OUT', message: `The run did not finish within ${run.timeoutMs} ms`, step: null }, before);
    } else {
      log.info({ reason }, 'run stopped: it is no longer this worker\'s');
      if (reason === 'CANCELLED') deps.observer?.ended('CANCELLED', run.startedAt ?? null);
    }
    return undefined;
  }

  /**
   * Waits until another run gives memory back (or 2 s, to look again), then a random moment more, so that runs
   * refused together do not all try again at once. False when the run was stopped meanwhile.
   */
  async function waitForMemory(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return false;
    // Removed after each wait: a run may wait many times on the same signal.
    let onAbort!: () => void;
    const stopped = new Promise<void>((r) => { onAbort = r; });
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([memoryPool.released(2_000), stopped]);
      if (!signal.aborted) await Promise.race([sleep(Math.random() * 250), stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return !signal.aborted;
  }

  async function execute(run: Execution, control: RunControl, start: StartReport): Promise<Change & { status: 'SUCCEEDED' | 'FAILED' } | { busy: string } | 'aborted'> {
    const signal = control.signal;
    const writes: Array<Promise<StoredObject & { name: string; contentType: string }>> = [];
    const bodies: PassThrough[] = [];
    // The first progress report comes one interval into the run: a short run reports none, its status events say it all.
    let lastProgress = Date.now();
    try {
      const result = await runWorkflow({
        steps: run.steps,
        input: {
          fileName: run.inputFileName,
          // Known for runs accepted since the size was kept: the engine reports a csv's progress in percent with it.
          size: run.inputSize ?? undefined,
          open: async () => {
            const file = `the input (${run.inputFileId})`;
            try { return fromStorage(await deps.storage.get(run.inputStorageKey), file); } catch (err) { throw new FileUnavailable(file, err); }
          },
        },
        // The other files the run was given (a lookup's table), opened from storage like the input: one that
        // storage cannot give fails the attempt as the input's would.
        ...(run.files?.length ? {
          files: Object.fromEntries(run.files.map((f) => [f.key, {
            fileName: f.name,
            // As for the input: an xlsx past the engine's in-memory bound is spooled at once, not buffered up to it first.
            size: f.size ?? undefined,
            open: async () => {
              // Named by key and id (the engine names the file): "the input" would send the user looking at an input that is fine.
              const file = `the run's file ${JSON.stringify(f.key)} (${f.fileId})`;
              try { return fromStorage(await deps.storage.get(f.storageKey), file); } catch (err) { throw new FileUnavailable(file, err); }
            },
          }])),
        } : {}),
        openArtifact: async (name, format) => {
          const contentType = CONTENT_TYPES[format];
          const { body, written } = toStorage(name, (stored) => deps.storage.put(artifactKey(run, name), stored, { contentType }));
          bodies.push(body);
          const write = written.then((o) => ({ ...o, name, contentType }));
          // Awaited once the engine has ended (below); storage may fail sooner, and that is no unhandled rejection.
          write.catch(() => {});
          writes.push(write);
          return body;
        },
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastProgress < progressIntervalMs) return;
          lastProgress = now;
          const percent = p.percent ?? null;
          const report = () => {
            void deps.store.setProgress(run.id, deps.workerId, { phase: p.phase, percent, rowsProcessed: p.rowsProcessed }).catch(() => {});
            // Progress is coalescable: published directly (sequence 0), not through the outbox.
            const m = eventMessage(run, 0, { case: 'progress', value: { phase: phaseToProto(p.phase), rowsProcessed: BigInt(p.rowsProcessed), percent: percent ?? -1 } });
            void deps.bus.publish(m.topic, [{ key: m.key, value: m.payload, headers: m.headers ?? {} }]).catch(() => {});
          };
          // Not before the run's RUNNING event is written (it takes this report's phase): then, the latest.
          if (start.progress(p.phase, report)) report();
        },
        signal,
        memoryPool,
      });
      const stored = await Promise.all(writes);
      // Registering the artifacts shows them to others: only while the run is still this worker's.
      if (!(await database(control.owned()))) return 'aborted';
      const artifacts: ArtifactRef[] = [];
      for (const o of stored) {
        const registered = await deps.registerArtifact(run, { name: o.name, storageKey: o.key, size: o.size, sha256: o.sha256, contentType: o.contentType })
          .catch((err: unknown) => { throw filesServiceFault(err); });
        artifacts.push({ fileId: registered.id, name: o.name, size: o.size, sha256: o.sha256, contentType: o.contentType });
      }
      const steps = result.steps.map((s) => ({ index: s.index, type: s.type, status: s.status, rowsIn: s.rowsIn, rowsOut: s.rowsOut, durationMs: Math.round(s.durationMs) }));
      return {
        status: 'SUCCEEDED', phase: null, artifacts, steps, // The input's data rows the run read (not the rows above a header_row's header, not a lookup file's
        // rows: what steps[0].rowsIn counted when the first step was a header_row or read only a file).
        rowsProcessed: result.rowsRead,
        logs: result.logs.map((l) => ({ level: l.level, message: l.message, step: l.step ?? null })),
        events: [
          ...steps.map((s): EventPayload => ({ case: 'stepFinished', value: { ...s, rowsIn: BigInt(s.rowsIn), rowsOut: BigInt(s.rowsOut), durationMs: BigInt(s.durationMs) } })),
          statusEvent('SUCCEEDED', null),
          { case: 'succeeded', value: { artifacts: artifacts.map((a) => ({ fileId: a.fileId, name: a.name, size: BigInt(a.size), sha256: a.sha256, contentType: a.contentType })) } },
        ],
      };
    } catch (err) {
      // A stopped engine leaves its artifact streams open: end them as failed, so no partial object is kept.
      for (const body of bodies) if (!body.writableFinished) body.destroy(new Error('the run stopped'));
      await Promise.allSettled(writes);
      if (signal.aborted) return 'aborted';
      if (err instanceof EngineError && err.code === 'BUSY') return { busy: err.message };
      const fault = faultIn(err);
      const gone = fault instanceof FileUnavailable && fault.gone;
      // The engine's temporary files failed on the worker's disk (fromLocalDisk; storage's faults are looked for
      // first): the worker's trouble, worth another attempt.
      if (err instanceof EngineError && !fault && fromLocalDisk(err)) throw temporaryFileFault(err);
      // The engine reports an input it could not open, and an artifact it could not write, as the workflow's
      // error; storage being away is not, a file deleted since the run was accepted is (FILE_NOT_FOUND, as for a
      // file the run was not given).
      if (err instanceof EngineError && (!fault || gone)) {
        const log = { err, executionId: run.id, tenantId: run.tenantId };
        if (gone) deps.logger.warn(log, 'a file of the run is gone from storage');
        // What the engine did not expect (a bug): its text is for the worker's log only.
        else if (err.code === 'INTERNAL') deps.logger.error(log, 'the engine failed on an internal error');
        const error: RunError = { code: gone ? 'FILE_NOT_FOUND' : err.code, message: workflowErrorText(err), step: err.step ?? null };
        const steps = (err.steps ?? []).map((s) => ({ index: s.index, type: s.type, status: s.status, rowsIn: s.rowsIn, rowsOut: s.rowsOut, durationMs: Math.round(s.durationMs) }));
        return { status: 'FAILED', phase: null, error, steps, logs: [{ level: 'error', message: error.message, step: err.step ?? null }], events: endedEvents('FAILED', error) };
      }
      // Anything else (storage, the files service, Postgres briefly away) is worth another attempt.
      throw err;
    }
  }

  return { handle, memoryPool, stop: () => watch.stop() };
}
