import { EngineError, type StepIssue } from '../errors.js';
import type { ArtifactPlan, StepModule } from '../flow/step-api.js';
import { fileNameLength, MAX_FILE_NAME_LENGTH } from '../io/artifact.js';
import { objectSchema } from '../schema/common.js';

interface Params {
  artifacts: Array<{ name: string; format?: 'xlsx' | 'csv'; sheets?: Array<{ from: string; as?: string }>; delimiter?: string; bom?: boolean }>;
}

/** Template tokens of artifact names. */
const TOKENS = /\{(input|date|sheet)\}/g;

/** File names only: no directories, no "..", nothing a storage driver could read as a path. */
export function checkArtifactName(name: string): string | null {
  const bare = name.replace(TOKENS, 'x');
  if (/[\\/:*?"<>|\u0000-\u001f]/.test(bare) || bare.startsWith('.') || bare.includes('..')) return 'must be a plain file name (no path, no reserved characters)';
  if (/\{[^}]*\}/.test(bare)) return 'has an unknown {token} (use {input}, {date} or {sheet})';
  return null;
}

export function formatOf(a: { name: string; format?: 'xlsx' | 'csv' }): 'xlsx' | 'csv' {
  return a.format ?? (/\.csv$/i.test(a.name) ? 'csv' : 'xlsx');
}

/** The format a name's extension claims, if any: a `.csv` that is really a zip opens as garbage. */
function formatOfExtension(name: string): 'xlsx' | 'csv' | null {
  return /\.csv$/i.test(name) ? 'csv' : /\.xlsx$/i.test(name) ? 'xlsx' : null;
}

/**
 * The names an artifact is known to get before the run, with {input} and {date} left as they are (they
 * expand alike for every artifact of a run): one name, or for a csv with {sheet} one per sheet named
 * without a pattern. What a pattern matches is known only while the run writes (see outputs.ts).
 */
function namesBeforeRun(a: Params['artifacts'][number]): string[] {
  if (!a.name.includes('{sheet}')) return [a.name];
  if (formatOf(a) === 'xlsx') return [expandSheet(a.name, '')];
  return (a.sheets ?? []).filter((s) => !s.from.includes('*')).map((s) => expandSheet(a.name, s.as ?? s.from));
}

/**
 * The length of a name known before the run (namesBeforeRun) at its shortest: {date} is the run date
 * (YYYY-MM-DD), {input} taken as empty. Past MAX_FILE_NAME_LENGTH, every run would fail on it (outputs.ts).
 */
function shortestLength(name: string): number {
  return fileNameLength(name.replace(/\{date\}/g, '0000-00-00').replace(/\{input\}/g, ''));
}

function expandSheet(template: string, sheet: string): string {
  return template.replace(/\{sheet\}/g, sheet).replace(/[\\/:*?"<>|]/g, '_');
}

export const output: StepModule<Params> = {
  type: 'output',
  title: 'Write files',
  description:
    'Chooses which sheets, as they are at this step, go to which files: xlsx (several sheets) or csv (one sheet per file, or {sheet} in the name for one file per sheet). Names may use {input} (input file name without extension), {date} (the run date) and {sheet}; every file of a run needs its own name (letter case aside), a .csv or .xlsx name must match the format, and a name may have at most 255 characters once {date} and {sheet} are filled in (all checked when a version is saved; a run whose {input} or {sheet} makes one longer fails). "from" may be a pattern with *. Without an output step the run writes every sheet to <input>-result.xlsx.',
  paramsSchema: objectSchema(
    {
      artifacts: {
        type: 'array',
        minItems: 1,
        maxItems: 50,
        items: objectSchema(
          {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            format: { enum: ['xlsx', 'csv'] },
            sheets: { type: 'array', minItems: 1, items: objectSchema({ from: { type: 'string', minLength: 1, maxLength: 200 }, as: { type: 'string', minLength: 1, maxLength: 31 } }, ['from']) },
            delimiter: { enum: [',', ';', '\t', '|'] },
            bom: { type: 'boolean' },
          },
          ['name'],
        ),
      },
    },
    ['artifacts'],
  ),
  check(p) {
    const issues: StepIssue[] = [];
    p.artifacts.forEach((a, i) => {
      const bad = checkArtifactName(a.name);
      if (bad) issues.push({ path: `artifacts[${i}].name`, code: 'INVALID_VALUE', message: `artifact name ${bad}` });
      const many = !a.sheets || a.sheets.length > 1 || a.sheets.some((s) => s.from.includes('*'));
      if (formatOf(a) === 'csv' && many && !a.name.includes('{sheet}')) {
        issues.push({ path: `artifacts[${i}].name`, code: 'INVALID_VALUE', message: 'a csv file holds one sheet: name one sheet, or put {sheet} in the name for one file per sheet' });
      }
    });
    return issues;
  },
  checkOnSave(steps) {
    // Two artifacts of one name would be written over each other; names that differ only in case would be
    // too, in a Windows or macOS folder or a delivery destination. A .csv name on an xlsx opens as garbage.
    const seen = new Map<string, string>();
    const issues: Array<StepIssue & { step: number }> = [];
    for (const { index, params } of steps) {
      params.artifacts.forEach((a, i) => {
        const claimed = formatOfExtension(a.name);
        if (claimed && claimed !== formatOf(a)) {
          issues.push({ step: index, path: `artifacts[${i}].format`, code: 'INVALID_VALUE', message: `artifact ${JSON.stringify(a.name)} would be ${formatOf(a)} under a .${claimed} name: end the name in .${formatOf(a)}, or leave format out` });
        }
        for (const name of namesBeforeRun(a)) {
          const length = shortestLength(name);
          if (length > MAX_FILE_NAME_LENGTH) {
            const what = name === a.name ? 'artifact name' : `artifact ${JSON.stringify(a.name)} writes ${JSON.stringify(name)}, which`;
            issues.push({ step: index, path: `artifacts[${i}].name`, code: 'INVALID_VALUE', message: `${what} has ${length} characters once {date} is filled in (with {input} left empty), more than the ${MAX_FILE_NAME_LENGTH} a file name may have` });
            continue;
          }
          const first = seen.get(name.toLowerCase());
          if (first === undefined) {
            seen.set(name.toLowerCase(), `steps[${index}].params.artifacts[${i}]`);
            continue;
          }
          const what = name === a.name ? `artifact name ${JSON.stringify(name)}` : `artifact ${JSON.stringify(a.name)} writes ${JSON.stringify(name)}, which`;
          issues.push({ step: index, path: `artifacts[${i}].name`, code: 'DUPLICATE_ARTIFACT', message: `${what} is already used by ${first}: give each file its own name (letter case aside)` });
        }
      });
    }
    return issues;
  },
  plan(p, ctx) {
    const plans: ArtifactPlan[] = p.artifacts.map((a) => {
      const bad = checkArtifactName(a.name);
      if (bad) throw new EngineError('INVALID_STEPS', `artifact name ${JSON.stringify(a.name)} ${bad}`);
      const plan: ArtifactPlan = { name: a.name, format: formatOf(a), sheets: a.sheets ?? [{ from: '*' }] };
      if (a.delimiter !== undefined) plan.delimiter = a.delimiter;
      if (a.bom !== undefined) plan.bom = a.bom;
      return plan;
    });
    ctx.output(plans);
  },
};
