import { EngineError } from './errors.js';
import { fileNameLength, MAX_FILE_NAME_LENGTH, type ArtifactWriter, type OpenArtifact } from './io/artifact.js';
import { CsvArtifact } from './io/csv-artifact.js';
import type { TempDir } from './io/temp-dir.js';
import { XlsxArtifact } from './io/xlsx-artifact.js';
import type { RunControl } from './flow/control.js';
import { globMatcher } from './flow/glob.js';
import type { RowSink } from './flow/port.js';
import type { SheetEntry } from './flow/run-graph.js';
import type { ArtifactPlan, StepStats } from './flow/step-api.js';

export interface OutputDeps {
  openArtifact: OpenArtifact;
  control: RunControl;
  tmp: TempDir;
  inputBase: string;
  runDate: string;
  /** Every writer made, in order, with the output step that made it (-1: the default output). */
  writers: Array<{ writer: ArtifactWriter; step: number }>;
  /** The names of the run's artifacts so far, with the template each came from. */
  names: Map<string, string>;
  /** Added to a SHEET_NOT_FOUND (a csv input's, see csvSheetHint). */
  sheetHint?: string;
}

/**
 * The sheets an artifact names (no pattern) that are not in the workbook at its output step: SHEET_NOT_FOUND. None
 * while sheets made by split may still come: one of those may bear the name.
 */
export function missingSheets(plan: ArtifactPlan, entries: ReadonlyMap<string, SheetEntry>): string[] {
  if ([...entries.values()].some((e) => e.group)) return [];
  return plan.sheets.filter((spec) => !spec.from.includes('*') && !entries.get(spec.from)?.port).map((spec) => spec.from);
}

function expand(template: string, d: OutputDeps, sheet: string): string {
  return template.replace(/\{(input|date|sheet)\}/g, (_, t: string) => (t === 'input' ? d.inputBase : t === 'date' ? d.runDate : sheet)).replace(/[\\/:*?"<>|]/g, '_');
}

/**
 * The artifact's name in this run, taken for it. Saving a version refuses names equal as written (letter
 * case aside); what {input} and {sheet} turn into is known only now, and a version saved before that rule may
 * hold equal names. A second file of one name would be written over the first: the run fails at once, as
 * trying it again would fail alike. Names that differ in case only are distinct files here (versions saved
 * with them ran before the rule), so they pass.
 */
function claimName(template: string, d: OutputDeps, step: number, sheet = ''): string {
  const name = expand(template, d, sheet);
  const length = fileNameLength(name);
  if (length > MAX_FILE_NAME_LENGTH) throw tooLong(template, length, step);
  const first = d.names.get(name);
  if (first !== undefined) {
    const from = first === template ? JSON.stringify(template) : `${JSON.stringify(first)} and ${JSON.stringify(template)}`;
    throw new EngineError('DUPLICATE_ARTIFACT', `two artifacts of this run would be named ${JSON.stringify(name)} (from ${from}): give each file its own name`, { step });
  }
  d.names.set(name, template);
  return name;
}

/**
 * A name longer than a file's may be, made while the run writes: {input} of a long input file name, mostly, or a
 * {sheet} made by split (saving refuses what is known before, see output.ts). The files service would refuse to
 * register the artifact at every attempt: the run fails at once, as the workflow's own error, with the template
 * and the length (the name itself may be a few hundred characters). `step` -1 is the default output, which the
 * user did not name.
 */
function tooLong(template: string, length: number, step: number): EngineError {
  const over = `would have a name of ${length} characters in this run, more than the ${MAX_FILE_NAME_LENGTH} a file name may have`;
  if (step < 0) {
    return new EngineError('OUTPUT_FAILED', `the run's result file, named after the input file (${JSON.stringify(template)}), ${over}: give the input file a shorter name, or name the result in an output step`);
  }
  const parts = ['the artifact name'];
  if (template.includes('{input}')) parts.push('the input file\'s name ({input})');
  if (template.includes('{sheet}')) parts.push('the sheet names ({sheet})');
  return new EngineError('OUTPUT_FAILED', `artifact ${JSON.stringify(template)} ${over}: shorten ${parts.join(' or ')}`, { step });
}

/**
 * Attaches writers for an output step's artifacts to the sheets as they are at that step (a snapshot of the
 * workbook's entries). Sheets made by split join when they appear, if a pattern of the artifact matches them.
 */
export function attachOutputs(plans: ArtifactPlan[], entries: ReadonlyMap<string, SheetEntry>, step: number, d: OutputDeps): void {
  for (const plan of plans) {
    const perSheetCsv = plan.format === 'csv' && plan.name.includes('{sheet}');
    let xlsx: XlsxArtifact | null = null;
    let csvSingle: CsvArtifact | null = null;
    const sinkFor = (sheet: string, order: number): RowSink => {
      if (plan.format === 'xlsx') {
        if (!xlsx) {
          xlsx = new XlsxArtifact(claimName(plan.name, d, step), d.openArtifact, d.control, d.tmp);
          d.writers.push({ writer: xlsx, step });
        }
        return xlsx.sheet(sheet, order);
      }
      const opts = { ...(plan.delimiter ? { delimiter: plan.delimiter } : {}), ...(plan.bom ? { bom: true } : {}) };
      if (perSheetCsv) {
        const w = new CsvArtifact(claimName(plan.name, d, step, sheet), d.openArtifact, d.control, opts);
        d.writers.push({ writer: w, step });
        return w.sheet(sheet);
      }
      if (csvSingle) throw new EngineError('INVALID_STEPS', `csv artifact ${plan.name} matches several sheets; put {sheet} in its name`, { step });
      csvSingle = new CsvArtifact(claimName(plan.name, d, step), d.openArtifact, d.control, opts);
      d.writers.push({ writer: csvSingle, step });
      return csvSingle.sheet(sheet);
    };
    const missing = missingSheets(plan, entries)[0];
    if (missing !== undefined) {
      throw new EngineError('SHEET_NOT_FOUND', `artifact ${plan.name}: no sheet ${JSON.stringify(missing)}; sheets: ${[...entries.keys()].filter((k) => !k.startsWith('\u0000')).join(', ')}${d.sheetHint ?? ''}`, { step });
    }
    attachSheets(plan, entries, sinkFor);
    // An xlsx needs at least one sheet; an artifact whose patterns matched none still gets an empty one.
    if (plan.format === 'xlsx' && !xlsx) {
      xlsx = new XlsxArtifact(claimName(plan.name, d, step), d.openArtifact, d.control, d.tmp);
      d.writers.push({ writer: xlsx, step });
    }
  }
}

/**
 * Gives each sheet an artifact takes a sink from `sinkFor`: the sheets of the workbook at the output step that its
 * `from` matches, at once, and those a split makes, when they appear. `order` ranks the sheet within the artifact.
 */
function attachSheets(plan: ArtifactPlan, entries: ReadonlyMap<string, SheetEntry>, sinkFor: (sheet: string, order: number) => RowSink): void {
  plan.sheets.forEach((spec, j) => {
    const match = globMatcher(spec.from);
    let position = 0;
    for (const [name, entry] of entries) {
      position++;
      const order = j * 1e6 + position * 1e3;
      if (entry.port && match(name)) {
        entry.port.attach(sinkFor(spec.as ?? name, order));
      } else if (entry.group) {
        let k = 0;
        entry.group.subscribe(match, (sheet) => sinkFor(spec.from.includes('*') ? sheet : (spec.as ?? sheet), order + ++k));
      }
    }
  });
}

/**
 * A preview's output step: what a run would write, counted, not written. The step's rowsIn and rowsOut are the rows
 * its artifacts would get, as a run counts its artifacts' rows. A sheet named and missing is left to the run to
 * refuse (a draft being edited is previewed as far as it goes).
 */
export function countOutputs(plans: ArtifactPlan[], entries: ReadonlyMap<string, SheetEntry>, stats: StepStats): void {
  const counter: RowSink = {
    begin: () => undefined,
    row: () => {
      stats.rowsIn++;
      stats.rowsOut++;
    },
    end: () => undefined,
  };
  for (const plan of plans) attachSheets(plan, entries, () => counter);
}
