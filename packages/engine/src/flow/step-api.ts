import type { StepIssue } from '../errors.js';
import type { HeaderRule } from '../io/raw-rows.js';
import type { MemoryBudget } from './budget.js';
import type { RunControl } from './control.js';
import type { Port, RowSink } from './port.js';

/** What a step knows of the run while it wires itself into the graph (before any row flows). */
export interface StepContext {
  readonly index: number;
  readonly stats: StepStats;
  readonly budget: MemoryBudget;
  readonly control: RunControl;
  /** The current version of a sheet (default: the input's first sheet). SHEET_NOT_FOUND when unknown. */
  read(sheet?: string): Port;
  /** A sheet of another file of the run (`files` of runWorkflow). */
  readFile(file: string, sheet?: string): Port;
  /**
   * Says where the header of a sheet of the input (or of another file of the run) is, when it is not the
   * first row with a value. Only before any step reads the sheet, and once per sheet (INVALID_STEPS
   * otherwise); the rule's errors are this step's, and its figures are the sheet's rows as read.
   */
  setHeader(header: Pick<HeaderRule, 'row' | 'find'>, sheet?: string, file?: string): void;
  /** The name `read(sheet)` resolves to. */
  sheetName(sheet?: string): string;
  hasSheet(name: string): boolean;
  /** Makes `port` the current version of `sheet`; a new sheet goes after the others. */
  write(sheet: string, port: Port): void;
  /** A port for rows this step produces (after blocking, from several inputs, ...). */
  port(sheet: string): Port;
  /** Sheets whose names are known only when rows flow (split); output may pick them by pattern. */
  writeGroup(group: SheetGroup): void;
  /** Runs `task` as a pass of its own once the current pass is over: how a blocking step emits with back-pressure. */
  schedule(task: () => Promise<void>): void;
  /** Declares artifacts (the output step). */
  output(artifacts: ArtifactPlan[]): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface StepStats {
  rowsIn: number;
  rowsOut: number;
  warnings: number;
  startedAt: number;
  endedAt: number;
}

/** Sheets made while rows flow: each new name is offered to every output that asked for the group. */
export interface SheetGroup {
  readonly label: string;
  /** Adds a consumer; `make` is called once per sheet the group creates, with its name. */
  subscribe(accept: (name: string) => boolean, make: (name: string) => RowSink | null): void;
}

export interface ArtifactPlan {
  name: string;
  format: 'xlsx' | 'csv';
  sheets: Array<{ from: string; as?: string }>;
  delimiter?: string;
  bom?: boolean;
}

export interface StepModule<P = Record<string, unknown>> {
  readonly type: string;
  readonly title: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12 subset that Ajv 8 checks) of `params`. */
  readonly paramsSchema: object;
  /** Checks the schema cannot express (expressions parse, patterns compile); paths are relative to params. */
  check?(params: P): StepIssue[];
  /**
   * Rules for a version being saved, never for a saved one being run: added after versions were saved
   * without them (a version that ran yesterday must run today), or across every step of this type (artifact
   * names are unique over all output steps). Each step comes with valid params; each issue names its step,
   * its path relative to that step's params.
   */
  checkOnSave?(steps: Array<{ index: number; params: P }>): Array<StepIssue & { step: number }>;
  /**
   * Columns whose cells the step reads as the file wrote them ('all': every column). A csv reader leaves such a
   * column's cells as text instead of typing them (it reads `1.000` as the number 1, a thousand to a clean step
   * told that "." groups thousands), by column name, in every csv whose rows reach the step (the input, and a
   * lookup file joined before it; not a file joined after it), for every step that reads that csv. xlsx cells
   * are typed by the file itself and are read as they are.
   */
  textColumns?(params: P): readonly string[] | 'all' | undefined;
  /** Other files the step reads, so the run opens them before wiring. */
  files?(params: P): string[];
  /** Wires the step into the graph. Called once per run, in step order, before any row flows. */
  plan(params: P, ctx: StepContext): void;
}
