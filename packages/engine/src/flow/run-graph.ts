import { EngineError } from '../errors.js';
import type { ArtifactWriter } from '../io/artifact.js';
import { csvSheetHint } from '../io/open-input.js';
import type { HeaderRule, ReadLimits } from '../io/raw-rows.js';
import type { TextColumns, WorkbookSource } from '../io/workbook-source.js';
import type { MemoryBudget } from './budget.js';
import type { RunControl } from './control.js';
import { Port, type Origin, type RowSink } from './port.js';
import type { ArtifactPlan, SheetGroup, StepContext, StepModule, StepStats } from './step-api.js';

export interface StepSpec {
  type: string;
  params: Record<string, unknown>;
}

export type LogLine = { level: 'info' | 'warn' | 'error'; message: string; step?: number };

type Entry = { port: Port; group?: undefined } | { group: SheetGroup; port?: undefined };

interface Source {
  origin: Origin;
  port: Port;
  read: () => Promise<void>;
  /** Where the header is, set by a header_row step, with that step's figures. */
  header?: { rule: HeaderRule; stats: StepStats };
}

export interface GraphDeps {
  modules: ReadonlyMap<string, StepModule>;
  input: WorkbookSource;
  files: ReadonlyMap<string, WorkbookSource>;
  control: RunControl;
  budget: MemoryBudget;
  limits: ReadLimits;
  /** Attaches an output step's artifacts (previews count their rows instead, and write nothing). */
  output?: (plans: ArtifactPlan[], entries: ReadonlyMap<string, Entry>, step: number) => void;
  /** Previews: told of every sheet version a step writes. */
  observe?: (step: number, sheet: string, port: Port | SheetGroup) => void;
  /**
   * Plans that run nothing (inputSheets): told of each sheet a step reads from the input by a name the input
   * does not have, which then passes for one of the input's; a file's sheets are all taken to exist.
   */
  probe?: (sheet: string) => void;
}

/**
 * The run as a graph: every step wires itself, in order, onto the current version (a Port) of the sheets
 * it reads. Then the passes run: each input sheet that anything reads is pushed once through everything
 * downstream of it; a blocking step schedules a pass of its own for its result. A sheet read by several
 * later steps is still read from the file once: its port fans the rows out.
 */
export class RunGraph {
  readonly entries = new Map<string, Entry>();
  readonly stats: StepStats[] = [];
  readonly logs: LogLine[] = [];
  readonly artifacts: ArtifactWriter[] = [];
  hasOutput = false;
  /**
   * Data rows read from the run's input (its sheets that a step read; rows above a header_row's header are
   * not data): a run's `rowsProcessed`. Rows of the other files given to the run (a lookup's table) are not
   * the input's and do not count, in progress reports either.
   */
  rowsRead = 0;
  private readonly sources = new Map<string, Source>();
  private readonly tasks: Array<() => Promise<void>> = [];
  private readonly firstSheet: string;
  /**
   * Columns a csv source keeps as text (StepModule.textColumns), by source key: only the sources whose rows reach
   * the step that asked, known once the steps are planned.
   */
  private readonly asText = new Map<string, TextColumns>();
  /** The sources whose rows reach each port a step read or wrote (the input's and files' sheets it derives from). */
  private readonly lineage = new Map<Port, ReadonlySet<string>>();

  constructor(private readonly deps: GraphDeps) {
    const names = deps.input.sheetNames;
    if (names.length === 0) throw new EngineError('UNSUPPORTED_FILE', 'the workbook has no worksheet');
    this.firstSheet = names[0]!;
    for (const name of names) this.entries.set(name, { port: this.sourcePort(`input:${name}`, name, deps.input) });
  }

  /** Whether the input has the sheet; a probe's input has every sheet it is asked for (see GraphDeps.probe). */
  private inputHas(name: string): boolean {
    if (this.sources.has(`input:${name}`)) return true;
    if (!this.deps.probe) return false;
    this.deps.probe(name);
    const port = this.sourcePort(`input:${name}`, name, this.deps.input);
    if (!this.entries.has(name)) this.entries.set(name, { port });
    return true;
  }

  private fileHas(wb: WorkbookSource, name: string | undefined): name is string {
    return name !== undefined && (wb.sheetNames.includes(name) || this.deps.probe !== undefined);
  }

  /** What a SHEET_NOT_FOUND of the input adds when the input is a csv (see csvSheetHint). */
  private csvHint(): string {
    const file = this.deps.input.csvFileName;
    return file === undefined ? '' : `: ${csvSheetHint(file)}`;
  }

  private sourcePort(key: string, sheet: string, wb: WorkbookSource): Port {
    const known = this.sources.get(key);
    if (known) return known.port;
    const origin: Origin = { label: key, priority: 1 };
    const port = new Port(sheet, origin);
    this.lineage.set(port, new Set([key]));
    const isInput = wb === this.deps.input;
    // A preview's `limit` bounds the input's rows only. A file's sheet is a lookup's table (or what a header_row
    // shows of it): cut at `limit` rows, an input row whose match lies further down would show none, though the
    // run finds it. A file is still bounded as in a run: maxRows, and the memory budget of what a step holds.
    const { limit: _inputOnly, ...fileLimits } = this.deps.limits;
    const limits = isInput ? this.deps.limits : fileLimits;
    const read = async () => {
      const base = this.rowsRead;
      const ctl = this.deps.control;
      // A validate step downstream switches the phase to VALIDATING when the pass starts.
      ctl.phase = 'READING';
      const header = source.header;
      const options = header ? { ...limits, header: header.rule } : limits;
      if (header) header.stats.startedAt = performance.now();
      const r = await wb.readSheet(sheet, header ? countedSink(port, header.stats) : port, ctl, options, (rows, fraction) => {
        // A file's fraction is not the input's: while one is read, the input's rows so far and no percentage.
        const percent = fraction === undefined || !isInput ? undefined : fraction * 100;
        ctl.progress(ctl.phase === 'VALIDATING' ? 'VALIDATING' : 'READING', isInput ? base + rows : base, percent);
      }, this.asText.get(key));
      if (isInput) this.rowsRead += r.rows;
      this.logs.push({ level: 'info', message: `read sheet ${JSON.stringify(sheet)}: ${r.rows} rows` });
      if (r.droppedCells) this.logs.push({ level: 'warn', message: `sheet ${JSON.stringify(sheet)}: ${r.droppedCells} cells right of the header's last column were ignored` });
    };
    const source: Source = { origin, port, read };
    this.sources.set(key, source);
    return port;
  }

  /** The header_row step's hook (StepContext.setHeader): the rule goes to the sheet's reader. */
  private setHeader(index: number, stats: StepStats, header: Pick<HeaderRule, 'row' | 'find'>, sheet: string | undefined, file: string | undefined): void {
    let key: string;
    let name: string;
    if (file !== undefined) {
      const wb = this.deps.files.get(file);
      if (!wb) throw new EngineError('FILE_NOT_FOUND', `no file ${JSON.stringify(file)} was given to the run`, { step: index });
      name = sheet ?? wb.sheetNames[0]!;
      if (!this.fileHas(wb, name)) throw new EngineError('SHEET_NOT_FOUND', `file ${JSON.stringify(file)} has no sheet ${JSON.stringify(name)}`, { step: index });
      key = `file:${file}:${name}`;
      this.sourcePort(key, name, wb);
    } else {
      name = sheet ?? this.firstSheet;
      key = `input:${name}`;
      if (!this.inputHas(name)) {
        throw new EngineError('SHEET_NOT_FOUND', `the input has no sheet ${JSON.stringify(name)}; its sheets: ${this.deps.input.sheetNames.join(', ')}${this.csvHint()}`, { step: index });
      }
    }
    const source = this.sources.get(key)!;
    const what = `sheet ${JSON.stringify(name)}${file === undefined ? '' : ` of file ${JSON.stringify(file)}`}`;
    if (source.header) {
      throw new EngineError('INVALID_STEPS', `step ${source.header.rule.step} already says where the header of ${what} is`, { step: index });
    }
    // Steps are wired in order: one wired before this would have read the sheet under its old header.
    if (source.port.consumers > 0 || (file === undefined && this.entries.get(name)?.port !== source.port)) {
      throw new EngineError('INVALID_STEPS', `a header_row step must come before the steps that read or write ${what}`, { step: index });
    }
    const log = (message: string) => this.logs.push({ level: 'info', message, step: index });
    const rule: HeaderRule = {
      ...header,
      step: index,
      ...(file === undefined ? {} : { file }),
      found(row, skipped) {
        stats.rowsIn += skipped;
        log(`${what}: header at row ${row}${skipped ? `, ${skipped} ${skipped === 1 ? 'row' : 'rows'} above it left out` : ''}`);
      },
    };
    source.header = { rule, stats };
    this.deps.observe?.(index, name, source.port);
  }

  plan(steps: StepSpec[]): void {
    steps.forEach((step, index) => {
      const module = this.deps.modules.get(step.type);
      if (!module) throw new EngineError('INVALID_STEPS', `unknown step type ${JSON.stringify(step.type)}`, { step: index });
      const stats: StepStats = { rowsIn: 0, rowsOut: 0, warnings: 0, startedAt: 0, endedAt: 0 };
      this.stats.push(stats);
      const reads = new Set<string>();
      const ctx = this.context(index, stats, reads);
      try {
        module.plan(step.params, ctx);
      } catch (e) {
        if (e instanceof EngineError && e.step === undefined) e.step = index;
        throw e;
      }
      // The step's columns are text in the csv sources its rows come from, and in no other file: a lookup file
      // joined after a clean, or a csv lookup beside an xlsx input, is typed as always.
      const columns = module.textColumns?.(step.params);
      if (columns) for (const key of reads) this.asText.set(key, mergeTextColumns(this.asText.get(key), columns));
    });
  }

  private context(index: number, stats: StepStats, reads: Set<string>): StepContext {
    const g = this;
    const d = this.deps;
    return {
      index,
      stats,
      budget: d.budget.forStep(index),
      control: d.control,
      sheetName: (sheet) => sheet ?? g.firstSheet,
      hasSheet: (name) => g.entries.get(name)?.port !== undefined,
      read(sheet) {
        const name = sheet ?? g.firstSheet;
        const e = g.entries.get(name) ?? (g.inputHas(name) ? g.entries.get(name) : undefined);
        if (!e?.port) {
          const hint = e?.group ? ' (sheets made by split can only be written by an output step)' : '';
          throw new EngineError('SHEET_NOT_FOUND', `no sheet ${JSON.stringify(name)}${hint}; sheets: ${[...g.entries.keys()].join(', ')}${e ? '' : g.csvHint()}`, { step: index });
        }
        for (const key of g.lineage.get(e.port) ?? []) reads.add(key);
        return e.port;
      },
      setHeader: (header, sheet, file) => g.setHeader(index, stats, header, sheet, file),
      readFile(file, sheet) {
        const wb = d.files.get(file);
        if (!wb) throw new EngineError('FILE_NOT_FOUND', `no file ${JSON.stringify(file)} was given to the run`, { step: index });
        const name = sheet ?? wb.sheetNames[0];
        if (!g.fileHas(wb, name)) {
          throw new EngineError('SHEET_NOT_FOUND', `file ${JSON.stringify(file)} has no sheet ${JSON.stringify(name)}`, { step: index });
        }
        const port = g.sourcePort(`file:${file}:${name}`, name, wb);
        reads.add(`file:${file}:${name}`);
        return port;
      },
      write(sheet, port) {
        // What a step writes derives from what it read so far (a lookup's result from its input and its table).
        if (!g.lineage.has(port)) g.lineage.set(port, new Set(reads));
        g.entries.delete(sheet);
        g.entries.set(sheet, { port });
        d.observe?.(index, sheet, port);
      },
      port: (sheet) => new Port(sheet, null),
      writeGroup(group) {
        g.entries.set(`\u0000group:${index}:${group.label}`, { group });
        d.observe?.(index, group.label, group);
      },
      schedule: (task) => g.tasks.push(task),
      output(plans) {
        g.hasOutput = true;
        d.output?.(plans, new Map(g.entries), index);
      },
      log: (level, message) => g.logs.push({ level, message, step: index }),
    };
  }

  async execute(): Promise<void> {
    const ctl = this.deps.control;
    const pending = [...this.sources.values()].filter((s) => s.port.consumers > 0).sort((a, b) => a.origin.priority - b.origin.priority);
    for (;;) {
      ctl.throwIfAborted();
      const task = this.tasks.shift();
      if (task) {
        ctl.progress('TRANSFORMING', this.rowsRead);
        await task();
        continue;
      }
      const source = pending.shift();
      if (!source) break;
      await source.read();
    }
    const unfinished = [...this.entries.values()].find((e) => e.port && e.port.consumers > 0 && e.port.columns !== null && !e.port.ended);
    if (unfinished) throw new Error(`internal: sheet ${unfinished.port!.sheet} never ended`);
  }
}

export type { Entry as SheetEntry };

/** The columns a source keeps as text so far, with those of one more step. */
function mergeTextColumns(known: TextColumns | undefined, columns: readonly string[] | 'all'): TextColumns {
  if (known === 'all' || columns === 'all') return 'all';
  return new Set([...(known ?? []), ...columns]);
}

/** The sheet as read, counted as a header_row step's figures: every data row passes through the step. */
function countedSink(port: Port, stats: StepStats): RowSink {
  return {
    begin: (columns) => port.begin(columns),
    row(r) {
      stats.rowsIn++;
      stats.rowsOut++;
      port.row(r);
    },
    end() {
      stats.endedAt = performance.now();
      port.end();
    },
  };
}
