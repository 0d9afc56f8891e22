import type { StepIssue } from '../errors.js';
import type { StepModule } from '../flow/step-api.js';
import { objectSchema, sheetName } from '../schema/common.js';

interface Params {
  sheet?: string;
  file?: string;
  row?: number;
  find?: { values: string[]; caseInsensitive?: boolean; trim?: boolean };
}

/** Excel's last row. */
const MAX_ROW = 1_048_576;

/**
 * Where an input sheet's header is, when it is not the first row with a value (a bank statement's title,
 * account and period above its columns). A step rather than an option of the run because a workflow is its
 * steps: the rule is saved, versioned, diffed and previewed with them. It transforms no row: it tells the
 * reader, before any row flows, which row names the columns (RawRows), so the rows above it never become data
 * and the sheet is still read once.
 */
export const headerRow: StepModule<Params> = {
  type: 'header_row',
  title: 'Header row',
  description:
    'Says which row of an input sheet names its columns, when it is not the first row with a value: a row number as the spreadsheet shows it (row 5 in Excel, the 5th line of a csv, blank ones counted), or the first row holding a cell equal to each of find.values. Rows above it are not data; columns are named from it as from any header (trimmed, a blank one Column<n>, a repeated one _2, _3). Comes before the steps that read the sheet. No such row fails the run with HEADER_NOT_FOUND.',
  paramsSchema: objectSchema(
    {
      sheet: { ...sheetName, description: "The sheet (default: the input's first sheet; with file, that file's first sheet)." },
      file: { type: 'string', minLength: 1, maxLength: 200, description: "A key of the files given to the run (as lookup's from.file): the header of that file's sheet." },
      row: { type: 'integer', minimum: 1, maximum: MAX_ROW, description: 'The header\'s row number as the spreadsheet shows it: an xlsx row number, a csv record (blank lines counted; a quoted cell holding a line break is one row, as Excel shows it).' },
      find: {
        ...objectSchema(
          {
            values: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: { type: 'string', minLength: 1, maxLength: 1000 },
              description: 'The header is the first row holding a cell equal to each of these (a typed cell by its text; a number cell also by its value: "2023.10" finds the number 2023.1).',
            },
            caseInsensitive: { type: 'boolean', description: 'Ignore letter case (default false).' },
            trim: { type: 'boolean', description: 'Ignore spaces around a cell and a value (default true: column names are trimmed too).' },
          },
          ['values'],
        ),
        description: 'Find the header by its content, for exports whose lines above it vary in number.',
      },
    },
    [],
    {
      description: 'Exactly one of row and find.',
      anyOf: [{ required: ['row'] }, { required: ['find'] }],
      // The then schema's description is validateSteps' message (validate-steps.ts).
      allOf: [{ if: { required: ['row'] }, then: { properties: { find: { not: {}, description: 'give row or find, not both' } } } }],
    },
  ),
  check(p) {
    const issues: StepIssue[] = [];
    p.find?.values.forEach((v, i) => {
      if (p.find!.trim !== false && v.trim() === '') issues.push({ path: `find.values[${i}]`, code: 'INVALID_VALUE', message: 'is blank, and cells are compared trimmed: it would match no cell' });
    });
    return issues;
  },
  checkOnSave(steps) {
    // The run refuses a second rule for one sheet too; here it is caught where the sheets are named alike.
    const seen = new Map<string, number>();
    const issues: Array<StepIssue & { step: number }> = [];
    for (const { index, params } of steps) {
      const key = JSON.stringify([params.file ?? null, params.sheet ?? null]);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, index);
      else issues.push({ step: index, path: params.sheet !== undefined ? 'sheet' : params.find !== undefined ? 'find' : 'row', code: 'INVALID_VALUE', message: `step ${first} already says where this sheet's header is` });
    }
    return issues;
  },
  files: (p) => (p.file ? [p.file] : []),
  plan(p, ctx) {
    ctx.setHeader(p.row !== undefined ? { row: p.row } : { find: p.find! }, p.sheet, p.file);
  },
};
