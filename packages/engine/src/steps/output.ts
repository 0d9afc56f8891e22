import { EngineError, type StepIssue } from '../errors.js';
import type { ArtifactPlan, StepModule } from '../flow/step-api.js';
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

export const output: StepModule<Params> = {
  type: 'output',
  title: 'Write files',
  description:
    'Chooses which sheets, as they are at this step, go to which files: xlsx (several sheets) or csv (one sheet per file, or {sheet} in the name for one file per sheet). Names may use {input} (input file name without extension), {date} (the run date) and {sheet}. "from" may be a pattern with *. Without an output step the run writes every sheet to <input>-result.xlsx.',
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
