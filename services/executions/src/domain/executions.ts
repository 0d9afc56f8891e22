import {
  AppError, badInput, batchLoader, findPage, decodeCursor, idFloorAt, idTimeOf, isUuid, MAX_PAGE_SIZE, newId, notFound, perRequest, rowsById,
  type EntityManager, type Page, type Principal,
} from '@rowline/kit';
import { ExecutionStatus, ExecutionPhase } from '@rowline/proto';
import { csvSheetHint, fileKeys, inputSheets } from '@rowline/engine';
import { closeKeys } from './close-keys.js';
import { ExecutionEntity, type Execution, type ExecutionLog, type RunFileRef, type StepRun, type StepSpec } from '../store/entities.js';
import { LOG_LEVELS, logsOfRuns, stepsOfRuns, warningCountsOfRuns, type LogLevel } from '../store/run-details.js';
import { insertRun, runIdForKey } from '../store/insert-run.js';
import { workflowCounts, workflowPages } from '../store/workflow-runs.js';
import { eventMessage, requestedMessage } from '../events/messages.js';
import { isTerminal, type Status } from './state-machine.js';

export const MAX_LOG_LINES = 1000;
/**
 * Files a run may be given besides its input. Each is opened and read by the run (a lookup holds its table in
 * memory), so the bound keeps a run's sources few; a workflow joining more than ten files is not a weekly chore.
 */
export const MAX_RUN_FILES = 10;
/** As the engine's schema bounds lookup's `from.file` and header_row's `file`. */
const MAX_FILE_KEY = 200;

export type RunFileInput = { key: string; fileId: string };

/** What the executions service needs to know of other services' data when a run starts. */
export type Lookups = {
  version(principal: Principal, id: string): Promise<{ id: string; workflowId: string; steps: StepSpec[] }>;
  /** `sheetNames`: a READY input's sheets, as the files service's inspection named them (null or absent: unknown). */
  file(principal: Principal, id: string): Promise<{ id: string; name: string; status: string; storageKey: string; size: number; sheetNames?: string[] | null }>;
  /** The workflow's current version (for a retry that asks for it). */
  latestVersion(principal: Principal, workflowId: string): Promise<{ id: string; workflowId: string; steps: StepSpec[] }>;
};

type NewRun = {
  workflowId: string; workflowVersionId: string; steps: StepSpec[]; file: { id: string; name: string; storageKey: string; size: number };
  files: RunFileRef[] | null;
  idempotencyKey: string; timeoutMs: number; retryOf?: string | null;
};

const MAX_TIMEOUT_S = 86_400;

export type ExecutionFilter = { status?: Status | null; workflowId?: string | null; from?: Date | null; to?: Date | null };

/**
 * How far a run's id time may be from its `createdAt`. Both come from the accepting process's clock, the id just
 * before (`insert` below), and `createdAt` is never earlier than the id's time: when that clock steps back, the id
 * generator keeps its ids increasing, ahead of the clock, until the clock catches up, and a `createdAt` read from
 * the clock would then be behind its id by as much as the step (minutes, after an NTP step or a VM's resume), past
 * any slack. So the two part by the moment between the two reads alone; the minute is a margin, not a bound on clocks.
 */
const ID_TIME_SLACK_MS = 60_000;

/**
 * A `from`/`to` range of `createdAt` as a range of ids (UUIDv7, time-ordered) a minute wider on each side: the
 * list's page walks the tenant's ids from `to` down and stops at `from`, instead of every newer and older run of
 * the tenant, and its count reads the tenant's index entries of the range alone. `createdAt` still decides which
 * runs are in it.
 */
function idRange(from?: Date | null, to?: Date | null) {
  return {
    ...(from ? { $gte: idFloorAt(from.getTime() - ID_TIME_SLACK_MS) } : {}),
    ...(to ? { $lt: idFloorAt(to.getTime() + ID_TIME_SLACK_MS) } : {}),
  };
}

/**
 * An id as Postgres answers it (a uuid's text is lowercase): `execution(id)` finds a run by its id in any case,
 * since the comparison is of uuids, and `executionsByIds` looks up what it read by this form to answer alike.
 */
const canonicalId = (id: string): string => id.toLowerCase();

export function createExecutionsDomain(deps: { lookups: Lookups; onOutbox: () => void; defaultTimeoutMs?: number }) {
  // Reads of a run in flight, per request (its em). Root fields of one request that name the same run share
  // one read of its row: the gateway asks for a run's status and `eventSequence` beside a subscriber's own
  // selection of it, and the sequence must be no newer than the state it is answered with. Two reads would
  // each see a moment of their own, and the entity they both fill would end up with whichever came last.
  // The runs named in one turn (the gateway's `_entities` call with a page of runs) are read in one statement.
  const runById = rowsById<Execution>(ExecutionEntity);
  const loading = new WeakMap<EntityManager, Map<string, Promise<Execution | null>>>();
  function loadOnce(em: EntityManager, id: string): Promise<Execution | null> {
    let inFlight = loading.get(em);
    if (!inFlight) loading.set(em, (inFlight = new Map()));
    const key = canonicalId(id);
    let load = inFlight.get(key);
    if (!load) {
      const requests = inFlight;
      load = runById(em, key).finally(() => requests.delete(key));
      inFlight.set(key, load);
    }
    return load;
  }

  // `Execution.steps` and `Execution.logs` of every run of a list (a page, the gateway's `_entities` call), per
  // request: one statement for the steps of all of them, and one for the logs of those given the same `limit` and `last`.
  const stepLoads = perRequest<(executionId: string) => Promise<StepRun[]>>();
  const logLoads = perRequest<(executionId: string) => Promise<ExecutionLog[]>>();
  const warningLoads = perRequest<(executionId: string) => Promise<number>>();

  // The same for `executionsByIds`: its root fields of one request given the same ids share one read. Keyed by
  // the runs read (well-formed ids only, so no id holds the separator): ids that merely join to the same text
  // ("a,b" beside "a" and "b") would otherwise share the read of the other's runs.
  const loadingMany = new WeakMap<EntityManager, Map<string, Promise<Map<string, Execution>>>>();
  function loadManyOnce(em: EntityManager, ids: readonly string[]): Promise<Map<string, Execution>> {
    let inFlight = loadingMany.get(em);
    if (!inFlight) loadingMany.set(em, (inFlight = new Map()));
    const wanted = [...new Set(ids.filter(isUuid).map(canonicalId))].sort();
    const key = wanted.join(',');
    let load = inFlight.get(key);
    if (!load) {
      const requests = inFlight;
      load = (wanted.length ? em.find(ExecutionEntity, { id: { $in: wanted } }) : Promise.resolve([]))
        .then((runs) => new Map(runs.map((r) => [r.id, r as Execution])))
        .finally(() => requests.delete(key));
      inFlight.set(key, load);
    }
    return load;
  }

  // `Workflow.executions`, per request (its em). The gateway asks for the field of every workflow of a list in one
  // `_entities` call, and its resolver runs once per workflow: the fields given the same page (first, after) read
  // their pages in one statement, and the counts their clients select in one more, whatever the number of workflows.
  const workflowPageLoads = new WeakMap<EntityManager, Map<string, (workflowId: string) => Promise<Execution[]>>>();
  function workflowPage(em: EntityManager, workflowId: string, page: { first: number; afterId?: string }): Promise<Execution[]> {
    let byPage = workflowPageLoads.get(em);
    if (!byPage) workflowPageLoads.set(em, (byPage = new Map()));
    const key = `${page.first}:${page.afterId ?? ''}`;
    let load = byPage.get(key);
    if (!load) byPage.set(key, (load = batchLoader((ids: readonly string[]) => workflowPages(em, ids, page), [])));
    return load(workflowId);
  }
  const workflowCountLoads = new WeakMap<EntityManager, (workflowId: string) => Promise<number>>();
  function workflowCount(em: EntityManager, workflowId: string): Promise<number> {
    let load = workflowCountLoads.get(em);
    if (!load) workflowCountLoads.set(em, (load = batchLoader((ids: readonly string[]) => workflowCounts(em, ids), 0)));
    return load(workflowId);
  }

  const defaultTimeoutMs = deps.defaultTimeoutMs ?? 900_000;

  /** Writes a new PENDING run and its first events in one statement; the same key answers the run it made first. */
  async function insert(em: EntityManager, actor: Principal, spec: NewRun, same: (run: Execution) => Execution): Promise<Execution> {
    // Every column is given (none is left to a database default), so the run answered is the row written. A
    // plain object rather than an entity: nothing tracks it (the statement below writes it), and the ORM's
    // entity factory cost 0.06-0.19 ms per accepted run in CPU profiles.
    const id = newId();
    const run: Execution = {
      id, tenantId: actor.tenantId, workflowId: spec.workflowId, workflowVersionId: spec.workflowVersionId,
      inputFileId: spec.file.id, inputFileName: spec.file.name, inputStorageKey: spec.file.storageKey, inputSize: spec.file.size, files: spec.files, steps: spec.steps,
      status: 'PENDING', phase: null, progressPercent: null, rowsProcessed: 0, idempotencyKey: spec.idempotencyKey,
      requestedBy: actor.subject, error: null, artifacts: null, attempt: 0, leaseOwner: null, leaseExpiresAt: null, sequence: 1,
      // Not before the id's time (ID_TIME_SLACK_MS): a time range finds the run by its id and its createdAt alike.
      retryOf: spec.retryOf ?? null, timeoutMs: spec.timeoutMs, createdAt: new Date(Math.max(Date.now(), idTimeOf(id))), startedAt: null, finishedAt: null,
    };
    const inserted = await insertRun(em, run, [
      eventMessage(run, 1, { case: 'statusChanged', value: { status: ExecutionStatus.PENDING, phase: ExecutionPhase.UNSPECIFIED } }),
      requestedMessage(run),
    ]);
    if (inserted) {
      deps.onOutbox();
      return run;
    }
    // The key was taken, by an earlier request or a concurrent one (the insert waited for its commit): the
    // run it made is the answer.
    const winner = await em.fork().findOne(ExecutionEntity, { idempotencyKey: spec.idempotencyKey }, { refresh: true, filters: { tenant: { tenantId: actor.tenantId } } });
    if (!winner) throw new Error(`no run under the idempotency key that refused run ${run.id}`);
    return same(winner);
  }

  function checkKey(raw: string): string {
    const key = raw.trim();
    if (!key || key.length > 200) throw badInput('idempotencyKey must have 1 to 200 characters', { field: 'idempotencyKey' });
    return key;
  }

  function timeoutOf(seconds: number | null | undefined): number {
    if (seconds == null) return defaultTimeoutMs;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_S) {
      throw badInput(`timeoutSeconds must be a whole number from 1 to ${MAX_TIMEOUT_S}`, { field: 'timeoutSeconds' });
    }
    return seconds * 1000;
  }

  /**
   * A version lookup's NOT_FOUND, told apart when the id is one of the caller's workflows (a client passing the
   * workflow's id where its version's is asked): said, with the id to pass. Only on this error path.
   */
  async function versionNotFound(actor: Principal, id: string, err: unknown): Promise<unknown> {
    if (!(err instanceof AppError) || err.code !== 'NOT_FOUND') return err;
    const latest = await deps.lookups.latestVersion(actor, id).catch(() => null);
    if (!latest) return err;
    return new AppError('NOT_FOUND', `Workflow version ${id} was not found: ${id} is a workflow, not one of its versions; start its latest version, the workflow's latestVersion { id }: ${latest.id}`, {
      field: 'workflowVersionId', workflowId: id, latestVersionId: latest.id,
    });
  }

  /** A retry's file that is gone (deleted, or expired and swept): NOT_FOUND saying which of the run's files it is, and what to do. */
  function goneSinceRun(err: unknown, fileId: string, what: string): unknown {
    if (!(err instanceof AppError) || err.code !== 'NOT_FOUND') return err;
    return new AppError('NOT_FOUND', `File ${fileId} was not found: it is ${what}, deleted or expired since the run; start a new run with a new upload of the file`, { fileId });
  }

  async function readyFile(actor: Principal, fileId: string, field = 'fileId') {
    if (!isUuid(fileId)) throw notFound('File', fileId);
    const file = await deps.lookups.file(actor, fileId);
    if (file.status !== 'READY') {
      throw badInput(`File ${file.id} cannot be used as input: it is ${file.status}`, { field, fileStatus: file.status });
    }
    return file;
  }

  /** The shape of `files` alone (before anything is looked up): a bounded count of distinct, well-formed keys. */
  function checkFilesShape(files: RunFileInput[] | null | undefined): RunFileInput[] {
    if (!files) return [];
    if (files.length > MAX_RUN_FILES) throw badInput(`A run takes at most ${MAX_RUN_FILES} files besides its input`, { field: 'files' });
    const seen = new Set<string>();
    for (const f of files) {
      // Characters as the engine's JSON Schema counts them (code points), not UTF-16 units: a key the engine
      // accepted in a step must be accepted here.
      const length = [...f.key].length;
      if (length < 1 || length > MAX_FILE_KEY) throw badInput(`A file key must have 1 to ${MAX_FILE_KEY} characters`, { field: 'files', key: f.key });
      if (seen.has(f.key)) throw badInput(`The file key ${JSON.stringify(f.key)} is given twice`, { field: 'files', key: f.key });
      seen.add(f.key);
    }
    return files;
  }

  /** Each file of `files`, READY and the caller's tenant's (another tenant's is NOT_FOUND), as the input is checked. */
  const readyFiles = (actor: Principal, files: RunFileInput[]): Promise<RunFileRef[]> => Promise.all(files.map(async (f) => {
    const file = await readyFile(actor, f.fileId, 'files');
    return { key: f.key, fileId: file.id, name: file.name, storageKey: file.storageKey, size: file.size ?? null };
  }));

  /**
   * Every file the steps read must be given, or the run would fail with FILE_NOT_FOUND only once a worker opened
   * it: refused now, naming the keys. A file no step reads is refused too: the run would keep (and show) a file
   * it never reads, most likely given under the wrong key.
   */
  function checkCoverage(steps: StepSpec[], files: Array<{ key: string }>) {
    const read = fileKeys(steps);
    const given = new Set(files.map((f) => f.key));
    const missing = read.filter((k) => !given.has(k));
    const unused = files.map((f) => f.key).filter((k) => !read.includes(k));
    const quote = (keys: string[]) => keys.map((k) => JSON.stringify(k)).join(', ');
    if (missing.length) {
      // Most often a file given under a key a little off the one the steps read ("manager" for "managers").
      let message = `The workflow's steps read ${missing.length === 1 ? 'a file' : 'files'} not given to the run: ${quote(missing)}`;
      const suggestions = closeKeys(unused, missing);
      if (unused.length) message += `; ${unused.length === 1 ? 'the file' : 'the files'} given as ${quote(unused)} no step reads`;
      if (suggestions.length) message += `: did you mean ${suggestions.map((s) => `${JSON.stringify(s.key)} for ${JSON.stringify(s.given)}`).join(', ')}?`;
      throw badInput(message, { field: 'files', missingKeys: missing, unusedKeys: unused, suggestions });
    }
    if (unused.length) {
      throw badInput(`No step of the workflow reads ${unused.length === 1 ? 'the file' : 'the files'} ${unused.map((k) => JSON.stringify(k)).join(', ')}`, { field: 'files', unusedKeys: unused });
    }
  }

  // The input sheets a version's steps lack in a file, once per steps array (a version the cache answered keeps its
  // array) and file's sheet names: a few files at most per version, the week's file of a chore.
  const sheetsLacking = new WeakMap<StepSpec[], Map<string, string[]>>();
  /**
   * Every sheet the steps read from the input by name must be in the file, or the run would fail with
   * SHEET_NOT_FOUND once a worker opened it: refused now, with what the engine would say of a csv (its one sheet is
   * named after the file, so a workflow saved on last week's file names a sheet this week's does not have). Planned
   * on the file's own sheet names, as a run is: a sheet named after the first sheet (validate's "<sheet> rejected")
   * or one a move_rows appends to is then told as a run tells it.
   */
  function checkSheets(steps: StepSpec[], file: { name: string; sheetNames?: string[] | null }) {
    const have = file.sheetNames;
    if (!have?.length) return;
    let byNames = sheetsLacking.get(steps);
    if (!byNames) sheetsLacking.set(steps, (byNames = new Map()));
    const key = JSON.stringify(have);
    let missing = byNames.get(key);
    if (!missing) {
      missing = inputSheets(steps, have);
      if (byNames.size >= 16) byNames.clear();
      byNames.set(key, missing);
    }
    if (!missing.length) return;
    const names = (list: string[]) => list.map((n) => JSON.stringify(n)).join(', ');
    const csv = /\.csv$/i.test(file.name) ? `: ${csvSheetHint(file.name)}` : '';
    throw badInput(
      `The input file ${JSON.stringify(file.name)} has no sheet ${names(missing)}, which the workflow's steps read (its sheets: ${names(have)})${csv}`,
      { field: 'fileId', missingSheets: missing, sheets: have },
    );
  }

  return {
    /**
     * Accepts a run. The same idempotency key returns the same run (a client retrying a timed-out request
     * never starts two). The run and its ExecutionRequested event are written in one transaction.
     */
    async start(em: EntityManager, actor: Principal, input: { workflowVersionId: string; fileId: string; idempotencyKey: string; timeoutSeconds?: number | null; files?: RunFileInput[] | null }) {
      const key = checkKey(input.idempotencyKey);
      const timeoutMs = timeoutOf(input.timeoutSeconds);
      const given = checkFilesShape(input.files);
      // A new key is the usual case: the version and the file are checked first, and the insert itself tells a
      // key already used (one statement, not a lookup and an insert).
      let version: Awaited<ReturnType<Lookups['version']>>;
      let file: Awaited<ReturnType<typeof readyFile>>;
      let files: RunFileRef[];
      try {
        if (!isUuid(input.workflowVersionId)) throw notFound('Workflow version', input.workflowVersionId);
        const versionOf = deps.lookups.version(actor, input.workflowVersionId).catch(async (err: unknown) => { throw await versionNotFound(actor, input.workflowVersionId, err); });
        [version, file, files] = await Promise.all([versionOf, readyFile(actor, input.fileId), readyFiles(actor, given)]);
        checkCoverage(version.steps, files);
        checkSheets(version.steps, file);
      } catch (err) {
        // A retry of a request accepted earlier answers its run, even when its file would not be accepted now
        // (deleted since, say).
        const existingId = await runIdForKey(em, actor.tenantId, key);
        if (existingId) return sameRequest(await em.findOneOrFail(ExecutionEntity, { id: existingId }), input);
        throw err;
      }
      return insert(em, actor, {
        workflowId: version.workflowId, workflowVersionId: version.id, steps: version.steps, file, files: files.length ? files : null,
        idempotencyKey: key, timeoutMs,
      }, (run) => sameRequest(run, input));
    },

    /**
     * A new run of an ended one, on the same input: the same version (its steps as snapshotted then) or the
     * workflow's latest. The new run names the old one in `retryOf`; the old one is left as it ended.
     */
    async retry(em: EntityManager, actor: Principal, input: { executionId: string; useLatestVersion?: boolean | null; idempotencyKey?: string | null }) {
      const old = await this.get(em, input.executionId);
      if (!isTerminal(old.status)) throw new AppError('CONFLICT', `Only an ended run can be retried; this one is ${old.status}`, { status: old.status });
      const key = checkKey(input.idempotencyKey ?? `retry:${old.id}:${newId()}`);
      const existing = await em.findOne(ExecutionEntity, { idempotencyKey: key });
      if (existing) {
        if (existing.retryOf !== old.id) throw new AppError('CONFLICT', 'This idempotencyKey was already used for a different run', { executionId: existing.id });
        return existing;
      }
      const versionOf = input.useLatestVersion ? deps.lookups.latestVersion(actor, old.workflowId) : Promise.resolve({ id: old.workflowVersionId, workflowId: old.workflowId, steps: old.steps });
      const [version, file, files] = await Promise.all([
        versionOf,
        readyFile(actor, old.inputFileId).catch((err: unknown) => { throw goneSinceRun(err, old.inputFileId, 'the run\'s input file'); }),
        // The same files, checked again as the input is (deleted or expired since: NOT_FOUND, BAD_USER_INPUT).
        // The latest version may read fewer files than the old run's: those it no longer reads are left out
        // before the check, so that one deleted since does not refuse a retry that would not read it.
        versionOf.then((v) => {
          const read = fileKeys(v.steps);
          return Promise.all((old.files ?? []).filter((f) => read.includes(f.key)).map((f) => readyFiles(actor, [{ key: f.key, fileId: f.fileId }])
            .then(([ref]) => ref!, (err: unknown) => { throw goneSinceRun(err, f.fileId, `the run's file ${JSON.stringify(f.key)}`); })));
        }),
      ]);
      // Not one the old run was not given.
      checkCoverage(version.steps, files);
      // The latest version may name sheets the old one did not.
      checkSheets(version.steps, file);
      return insert(em, actor, {
        workflowId: version.workflowId, workflowVersionId: version.id, steps: version.steps, file, files: files.length ? files : null, idempotencyKey: key,
        timeoutMs: old.timeoutMs, retryOf: old.id,
      }, (run) => {
        // The key was taken meanwhile (a concurrent request with it): the same answer as the check above.
        if (run.retryOf !== old.id) throw new AppError('CONFLICT', 'This idempotencyKey was already used for a different run', { executionId: run.id });
        return run;
      });
    },

    async get(em: EntityManager, id: string): Promise<Execution> {
      const run = isUuid(id) ? await loadOnce(em, id) : null;
      if (!run) throw notFound('Execution', id);
      return run;
    },

    /**
     * Runs by id, in the order asked, in one read: a run that is not the caller's tenant's (or does not exist)
     * is its item's NOT_FOUND, the others still answer. At most MAX_PAGE_SIZE ids, as a page.
     */
    async getMany(em: EntityManager, ids: readonly string[]): Promise<Array<Execution | AppError>> {
      if (ids.length > MAX_PAGE_SIZE) throw badInput(`ids may name at most ${MAX_PAGE_SIZE} runs`, { argument: 'ids', max: MAX_PAGE_SIZE });
      const found = await loadManyOnce(em, ids);
      return ids.map((id) => found.get(canonicalId(id)) ?? notFound('Execution', id));
    },

    async list(em: EntityManager, filter: ExecutionFilter, page: { first: number; after?: string | null }): Promise<Page<Execution>> {
      decodeCursor(page.after); // a malformed cursor is refused first, as before
      // A malformed id in a filter is a client's mistake worth saying, as deliveries' executionId does (a lookup
      // by a malformed id answers NOT_FOUND, like any id that does not exist).
      if (filter.workflowId && !isUuid(filter.workflowId)) throw badInput('workflowId is not a valid id', { field: 'workflowId' });
      const where = {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.workflowId ? { workflowId: filter.workflowId } : {}),
        ...(filter.from || filter.to ? {
          createdAt: { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) },
          id: idRange(filter.from, filter.to),
        } : {}),
      };
      // Page and count read the tenant's index entries of the filter alone (README, "Counting runs").
      return findPage(em, ExecutionEntity, where, page, 'desc');
    },

    /**
     * A workflow's runs, as `list(em, { workflowId }, page)` answers them (the same page, cursor, count and errors),
     * read together with the same page of the other workflows asked for in the same turn of the request.
     */
    async ofWorkflow(em: EntityManager, workflowId: string, page: { first: number; after?: string | null }): Promise<Page<Execution>> {
      const afterId = decodeCursor(page.after);
      if (!isUuid(workflowId)) throw badInput('workflowId is not a valid id', { field: 'workflowId' });
      // Rows come back keyed by the id as Postgres writes it; the comparison itself is of uuids, in any case.
      const id = canonicalId(workflowId);
      return { rows: await workflowPage(em, id, { first: page.first, afterId }), count: () => workflowCount(em, id) };
    },

    steps: (em: EntityManager, executionId: string): Promise<StepRun[]> =>
      stepLoads(em, '', () => batchLoader((ids: readonly string[]) => stepsOfRuns(em, ids), []))(canonicalId(executionId)),
    /**
     * `limit` of the run's log lines, oldest first: its first ones, or with `last` its latest ones (where a long
     * run's trouble usually is). Lines of one moment keep the order they were written in (ids are time-ordered).
     * A limit outside 1..MAX_LOG_LINES is refused, not bent.
     */
    logs: async (em: EntityManager, executionId: string, limit: number, last = false, levels: readonly string[] | null = null): Promise<ExecutionLog[]> => {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LINES) {
        throw badInput(`limit must be between 1 and ${MAX_LOG_LINES}`, { argument: 'limit' });
      }
      const only = levels ? checkLevels(levels) : null;
      const load = logLoads(em, `${limit}:${last}:${only?.join(',') ?? ''}`, () => batchLoader((ids: readonly string[]) => logsOfRuns(em, ids, limit, last, only), []));
      return load(canonicalId(executionId));
    },

    /** How many warnings the run logged: one grouped statement for the runs of one request's turn. */
    warningCount: (em: EntityManager, executionId: string): Promise<number> =>
      warningLoads(em, '', () => batchLoader((ids: readonly string[]) => warningCountsOfRuns(em, ids), 0))(canonicalId(executionId)),
  };
}
export type ExecutionsDomain = ReturnType<typeof createExecutionsDomain>;

/** A `levels` argument: known levels, each once, in a fixed order (so equal sets share one read); empty is refused. */
function checkLevels(levels: readonly string[]): LogLevel[] {
  const unknown = levels.filter((l) => !(LOG_LEVELS as readonly string[]).includes(l));
  if (unknown.length || levels.length === 0) {
    throw badInput(`levels takes one or more of ${LOG_LEVELS.join(', ')}${unknown.length ? `; not ${unknown.map((l) => JSON.stringify(l)).join(', ')}` : ''}`, { argument: 'levels', allowed: [...LOG_LEVELS] });
  }
  return LOG_LEVELS.filter((l) => levels.includes(l));
}

/** The files of a request or a run as one comparable text: keys and file ids, in key order. */
const filesOf = (files: ReadonlyArray<{ key: string; fileId: string }> | null | undefined) =>
  JSON.stringify([...(files ?? [])].map((f) => [f.key, f.fileId]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)));

function sameRequest(run: Execution, input: { workflowVersionId: string; fileId: string; files?: RunFileInput[] | null }): Execution {
  if (run.workflowVersionId !== input.workflowVersionId || run.inputFileId !== input.fileId || filesOf(run.files) !== filesOf(input.files)) {
    throw new AppError('CONFLICT', 'This idempotencyKey was already used for a different run', { executionId: run.id });
  }
  return run;
}
