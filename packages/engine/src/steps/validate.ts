import { EngineError, type StepIssue } from '../errors.js';
import { atStep } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkExpression, checkPattern } from '../schema/checks.js';
import { columnName, objectSchema, sheetName, sheetParams } from '../schema/common.js';
import type { Row } from '../values.js';
import { bindRule, type BoundRule, type Rule } from './validate-rules.js';

interface Params {
  sheet?: string;
  into?: string;
  rules: Rule[];
  quarantine?: string;
  reasonsColumn?: string;
  maxErrorRatio?: number;
}

const scalar = { type: ['string', 'number', 'boolean'] };

const ruleSchema = objectSchema(
  {
    column: columnName,
    check: { enum: ['required', 'type', 'range', 'allowed', 'pattern', 'unique', 'expression'] },
    severity: { enum: ['WARNING', 'BLOCKING'] },
    type: { enum: ['number', 'text', 'date', 'boolean'] },
    min: { type: ['number', 'string'] },
    max: { type: ['number', 'string'] },
    values: { type: 'array', minItems: 1, maxItems: 10000, items: scalar },
    caseInsensitive: { type: 'boolean' },
    pattern: { type: 'string', minLength: 1, maxLength: 1000 },
    expression: { type: 'string', minLength: 1, maxLength: 4000 },
    message: { type: 'string', maxLength: 500 },
  },
  ['check'],
  {
    allOf: [
      { if: { properties: { check: { enum: ['required', 'type', 'range', 'allowed', 'pattern', 'unique'] } } }, then: { required: ['column'] } },
      { if: { properties: { check: { const: 'type' } } }, then: { required: ['type'] } },
      { if: { properties: { check: { const: 'range' } } }, then: { anyOf: [{ required: ['min'] }, { required: ['max'] }] } },
      { if: { properties: { check: { const: 'allowed' } } }, then: { required: ['values'] } },
      { if: { properties: { check: { const: 'pattern' } } }, then: { required: ['pattern'] } },
      { if: { properties: { check: { const: 'expression' } } }, then: { required: ['expression'] } },
    ],
  },
);

export const validate: StepModule<Params> = {
  type: 'validate',
  title: 'Validate rows',
  description:
    'Checks every row against rules (required, type, range, allowed values, pattern, unique, expression). A row failing a BLOCKING rule moves to a quarantine sheet with its reasons; WARNING failures are counted. Above maxErrorRatio of rejected rows the run fails.',
  paramsSchema: objectSchema(
    {
      ...sheetParams,
      rules: { type: 'array', minItems: 1, items: ruleSchema },
      quarantine: { ...sheetName, description: 'Sheet for rejected rows (default: "<sheet> rejected").' },
      reasonsColumn: { ...columnName, description: 'Column of the quarantine sheet listing the reasons (default "reasons").' },
      maxErrorRatio: { type: 'number', minimum: 0, maximum: 1 },
    },
    ['rules'],
  ),
  check(p) {
    const issues: StepIssue[] = [];
    p.rules.forEach((r, i) => {
      if (r.check === 'pattern' && r.pattern) issues.push(...checkPattern(r.pattern, `rules[${i}].pattern`));
      if (r.check === 'expression' && r.expression) issues.push(...checkExpression(r.expression, `rules[${i}].expression`));
    });
    return issues;
  },
  plan(p, ctx) {
    const from = ctx.sheetName(p.sheet);
    const into = p.into ?? from;
    const quarantineName = p.quarantine ?? `${from} rejected`.slice(0, 31);
    const reasonsColumn = p.reasonsColumn ?? 'reasons';
    const passed = ctx.port(into);
    const rejected = ctx.port(quarantineName);
    const stats = ctx.stats;
    let rules: BoundRule[] = [];
    let width = 0;
    let rejectedRows = 0;
    ctx.read(p.sheet).attach({
      begin(columns) {
        stats.startedAt = performance.now();
        ctx.control.phase = 'VALIDATING';
        rules = atStep(ctx, () => p.rules.map((r) => bindRule(r, columns, ctx.budget)));
        width = columns.length;
        passed.begin(columns);
        rejected.begin([...columns, reasonsColumn]);
      },
      row(r: Row) {
        stats.rowsIn++;
        let reasons: string[] | null = null;
        let blocked = false;
        for (const rule of rules) {
          const why = rule.test(r);
          if (why === null) continue;
          (reasons ??= []).push(why);
          if (rule.blocking) blocked = true;
          else stats.warnings++;
        }
        if (!blocked) {
          stats.rowsOut++;
          passed.row(r);
          return;
        }
        rejectedRows++;
        const o = r.slice();
        while (o.length < width) o.push(null);
        o.push(reasons!.join('; '));
        rejected.row(o);
      },
      end() {
        for (const rule of rules) rule.release();
        stats.endedAt = performance.now();
        const total = stats.rowsIn;
        if (rejectedRows || stats.warnings) ctx.log(rejectedRows ? 'warn' : 'info', `${rejectedRows} of ${total} rows rejected to ${JSON.stringify(quarantineName)}, ${stats.warnings} warnings`);
        if (p.maxErrorRatio !== undefined && total > 0 && rejectedRows / total > p.maxErrorRatio) {
          const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
          throw new EngineError('VALIDATION_FAILED', `${rejectedRows} of ${total} rows (${pct(rejectedRows / total)}) failed blocking checks, above the allowed ${pct(p.maxErrorRatio)}`, { step: ctx.index });
        }
        passed.end();
        rejected.end();
      },
    });
    ctx.write(into, passed);
    ctx.write(quarantineName, rejected);
  },
};
