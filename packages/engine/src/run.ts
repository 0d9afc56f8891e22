import { EngineError } from './errors.js';
import type { ArtifactResult, OpenArtifact } from './io/artifact.js';
import { baseName, csvSheetHint, openInput, type InputFile } from './io/open-input.js';
import { TempDir } from './io/temp-dir.js';
import type { WorkbookSource } from './io/workbook-source.js';
import { MemoryBudget, type MemoryPool } from './flow/budget.js';
import { RunControl, type ProgressFn } from './flow/control.js';
import { RunGraph, type GraphDeps, type LogLine, type StepSpec } from './flow/run-graph.js';
import type { StepStats } from './flow/step-api.js';
import { attachOutputs, missingSheets, type OutputDeps } from './outputs.js';
import { MODULES } from './steps/registry.js';
import { StepValidator } from './schema/validate-steps.js';

export type { StepSpec, LogLine };

export interface RunLimits {
  /** Rows held at once by blocking steps and buffers (default 2,000,000). */
  maxRowsInMemory?: number;
  /** Estimated bytes held at once by blocking steps, buffers and the shared-strings table (default 256 MB). */
  maxBytesInMemory?: number;
  /** Data rows of any one input sheet (default: no limit). */
  maxRows?: number;
}

export interface RunOptions {
  steps: StepSpec[];
  input: InputFile;
  /** Other files the steps read, by key (a lookup's `from.file`), opened like the input: an xlsx of a known `size` past XLSX_IN_MEMORY_BYTES is spooled at once. */
  files?: Record<string, InputFile>;
  openArtifact: OpenArtifact;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  limits?: RunLimits;
  /** What this run shares with the other runs of the process: its reservations count against it too. */
  memoryPool?: MemoryPool;
}

export type StepStatus = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
export interface StepResult {
  index: number;
  type: string;
  status: StepStatus;
  rowsIn: number;
  rowsOut: number;
  durationMs: number;
  warnings?: number;
}

export interface RunResult {
  steps: StepResult[];
  /**
   * Data rows read from the input: of each of its sheets a step read, the rows below the header (not the rows
   * above a header_row's header, not the rows of `files`). What a run processed, whatever its first step is.
   */
  rowsRead: number;
  artifacts: ArtifactResult[];
  logs: LogLine[];
}

let validator: StepValidator | null = null;
export function stepValidator(): StepValidator {
  validator ??= new StepValidator(MODULES);
  return validator;
}

/** Steps that may run: a saved version's are not held to the rules for saving (StepModule.checkOnSave). */
export function assertValidSteps(steps: unknown): asserts steps is StepSpec[] {
  const issues = stepValidator().validate(steps, { saving: false });
  if (issues.length) {
    const first = issues[0]!;
    throw new EngineError('INVALID_STEPS', `invalid steps: ${first.path} ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, { issues });
  }
}

/**
 * The keys of the files (`files` of runWorkflow and previewWorkflow) that these steps read, each once, in the
 * order of the steps: each step module's `files(params)`. Steps of an unknown type read none (they fail
 * validation anyway).
 */
export function fileKeys(steps: ReadonlyArray<{ type: string; params: unknown }>): string[] {
  const keys = new Set<string>();
  for (const step of steps) {
    const module = MODULES.get(step.type);
    if (!module?.files || step.params === null || typeof step.params !== 'object') continue;
    let read: string[];
    try { read = module.files(step.params as never); } catch { continue; } // params the step's schema refuses
    for (const key of read) keys.add(key);
  }
  return [...keys];
}

/** The input of a plan that reads nothing (inputSheets): sheets of these names (a sentinel stands for an unknown first sheet, which no step can name). */
function probedInput(sheetNames: readonly string[]): WorkbookSource {
  return {
    sheetNames: sheetNames.length ? [...sheetNames] : ['\u0000first'],
    readSheet: () => Promise.reject(new Error('internal: a probe reads no rows')),
    close: async () => undefined,
  };
}

/**
 * The sheets of the input that these steps read by name and the input lacks, each once, in the order the steps are
 * wired: the names a run needs its input to have (or it fails with SHEET_NOT_FOUND), told before there is a run, by
 * planning the steps as a run does (RunGraph.plan) on a stand-in input that has `sheets` (a file's, as inspection
 * named them) and whatever other sheet is asked for. Not a sheet an earlier step made (a filter's or an aggregate's
 * `into`, a validate's quarantine, "<first sheet> rejected" by default), nor the first sheet that a step leaving
 * `sheet` out reads; an output's `from` counts when it names (no pattern) a sheet no step made. Names made from the
 * first sheet's name (the quarantine's) are as in a run only when `sheets` are given: without them, the first sheet
 * is unknown, and every sheet read by name is named. Sheets of `files` are not the input's. Steps the engine would
 * refuse name none; a step that would fail planning for another reason stops the probe there (a run fails at it
 * anyway, and says why).
 */
export function inputSheets(steps: unknown, sheets: readonly string[] = []): string[] {
  if (stepValidator().validate(steps, { saving: false }).length) return [];
  const valid = steps as StepSpec[];
  const input = probedInput(sheets);
  const others = probedInput([]);
  const names = new Set<string>();
  const budget = new MemoryBudget();
  const graph = new RunGraph({
    modules: MODULES,
    input,
    files: new Map(fileKeys(valid).map((key) => [key, others])),
    control: new RunControl(undefined, undefined),
    budget,
    limits: {},
    probe: (sheet) => names.add(sheet),
    output: (plans, entries) => {
      for (const plan of plans) for (const sheet of missingSheets(plan, entries)) names.add(sheet);
    },
  });
  try {
    graph.plan(valid);
  } catch {
    // What a run of these steps would fail with while planning: the names read before it are known.
  } finally {
    budget.close();
  }
  return [...names];
}

/** Opens the input and the files that steps read, closing whatever was opened if one fails. */
export async function openSources(steps: StepSpec[], input: InputFile, files: RunOptions['files'], budget: MemoryBudget) {
  const opened: WorkbookSource[] = [];
  try {
    const main = await openInput(input, budget);
    opened.push(main);
    const map = new Map<string, WorkbookSource>();
    for (const step of steps) {
      for (const key of MODULES.get(step.type)?.files?.(step.params as never) ?? []) {
        if (map.has(key)) continue;
        const f = files?.[key];
        if (!f) throw new EngineError('FILE_NOT_FOUND', `no file ${JSON.stringify(key)} was given to the run`, { step: steps.indexOf(step) });
        let wb: WorkbookSource;
        try {
          wb = await openInput(f, budget);
        } catch (e) {
          // The step that reads the file is at fault, as it is for a file not given.
          if (e instanceof EngineError && e.step === undefined) e.step = steps.indexOf(step);
          throw e;
        }
        opened.push(wb);
        map.set(key, wb);
      }
    }
    return { main, files: map, close: () => Promise.all(opened.map((w) => w.close().catch(() => undefined))) };
  } catch (e) {
    await Promise.all(opened.map((w) => w.close().catch(() => undefined)));
    throw e;
  }
}

export function stepResults(steps: StepSpec[], stats: StepStats[], failed?: number): StepResult[] {
  return steps.map((s, index) => {
    const st = stats[index];
    // After a failure: steps that had finished SUCCEEDED, the culprit and steps cut off mid-stream FAILED,
    // steps that never started SKIPPED.
    let status: StepStatus = 'SUCCEEDED';
    if (failed !== undefined || index === failed) {
      if (index === failed) status = 'FAILED';
      else if (!st || st.endedAt === 0) status = st && st.startedAt > 0 ? 'FAILED' : 'SKIPPED';
    }
    const r: StepResult = { index, type: s.type, status, rowsIn: st?.rowsIn ?? 0, rowsOut: st?.rowsOut ?? 0, durationMs: st && st.endedAt ? Math.round(st.endedAt - st.startedAt) : 0 };
    if (st?.warnings) r.warnings = st.warnings;
    return r;
  });
}

/** How long a stopped run's steps may keep their share of a MemoryPool while they unwind. */
const STOPPED_RUN_GRACE_MS = 30_000;

/**
 * Runs a workflow over a file and streams its artifacts out. Rows flow through the steps in passes (see
 * RunGraph); memory beyond the streaming window is bounded by limits (see MemoryBudget).
 */
export async function runWorkflow(opts: RunOptions): Promise<RunResult> {
  assertValidSteps(opts.steps);
  const steps = opts.steps;
  const limits = opts.limits ?? {};
  const budget = new MemoryBudget(limits.maxRowsInMemory, limits.maxBytesInMemory, opts.memoryPool);
  const control = new RunControl(opts.signal, opts.onProgress);
  const tmp = new TempDir();
  const writers: OutputDeps['writers'] = [];
  let graph: RunGraph | null = null;
  let sources: Awaited<ReturnType<typeof openSources>> | null = null;
  // Set when runWorkflow is answering: a stopped run's work may still be going on (see the finally).
  let ended = false;
  const work = async (): Promise<RunResult> => {
    control.throwIfAborted();
    const opened = await openSources(steps, opts.input, opts.files, budget);
    if (ended) {
      // Stopped while its inputs were opening: nobody else will close them.
      await opened.close();
      throw new EngineError('CANCELLED', 'the run was cancelled');
    }
    sources = opened;
    const csv = sources.main.csvFileName;
    const out: OutputDeps = {
      openArtifact: opts.openArtifact, control, tmp, inputBase: baseName(opts.input.fileName), runDate: new Date().toISOString().slice(0, 10), writers, names: new Map(),
      ...(csv === undefined ? {} : { sheetHint: `: ${csvSheetHint(csv, true)}` }),
    };
    const deps: GraphDeps = {
      modules: MODULES,
      input: sources.main,
      files: sources.files,
      control,
      budget,
      limits: limits.maxRows === undefined ? {} : { maxRows: limits.maxRows },
      output: (plans, entries, step) => attachOutputs(plans, entries, step, out),
    };
    const g = new RunGraph(deps);
    graph = g;
    g.plan(steps);
    if (!g.hasOutput) attachOutputs([{ name: '{input}-result.xlsx', format: 'xlsx', sheets: [{ from: '*' }] }], g.entries, -1, out);
    await g.execute();
    control.progress('WRITING', g.rowsRead, undefined, true);
    const artifacts: ArtifactResult[] = [];
    for (const { writer, step } of writers) {
      const a = await writer.finish();
      artifacts.push(a);
      for (const w of writer.warnings()) g.logs.push({ level: 'warn', message: w });
      const st = g.stats[step];
      if (st) {
        st.rowsIn += a.rows;
        st.rowsOut += a.rows;
      }
    }
    control.progress('WRITING', g.rowsRead, 100, true);
    return { steps: stepResults(steps, g.stats), rowsRead: g.rowsRead, artifacts, logs: g.logs };
  };
  const running = work();
  let settled = false;
  const done = running.then(() => { settled = true; }, () => { settled = true; });
  try {
    return await control.abortable(running);
  } catch (e) {
    const err = e instanceof EngineError ? e : new EngineError('INTERNAL', `the run failed: ${(e as Error).message}`, { cause: e });
    const g = graph as RunGraph | null;
    if (g) err.steps = stepResults(steps, g.stats, err.step);
    throw err;
  } finally {
    ended = true;
    // The run's share of the process's memory goes back once its steps have stopped: at once when they have,
    // else when they do (a stopped run unwinds at its next checkpoint, or when its inputs close below), and
    // after STOPPED_RUN_GRACE_MS at the latest.
    if (settled) budget.close();
    else void Promise.race([done, new Promise((r) => setTimeout(r, STOPPED_RUN_GRACE_MS).unref())]).then(() => budget.close());
    const s = sources as Awaited<ReturnType<typeof openSources>> | null;
    await s?.close();
    await tmp.remove();
  }
}

