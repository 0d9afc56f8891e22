import { RE2JS } from 're2js';
import { CastFailure, makeCaster, readsTextAsWritten, type CastTo } from '../cast/cast.js';
import { compileDateFormat } from '../cast/date-format.js';
import { castProperties, castRules } from '../cast/schema.js';
import { EngineError, type StepIssue } from '../errors.js';
import { indexes, mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkPattern } from '../schema/checks.js';
import { columnList, objectSchema, sheetParams } from '../schema/common.js';
import { isEmpty, MAX_BUILT_TEXT, textTooLarge, toText, type Row, type Value } from '../values.js';

interface Params {
  sheet?: string;
  into?: string;
  columns?: string[];
  trim?: boolean;
  collapseSpaces?: boolean;
  case?: 'upper' | 'lower' | 'title';
  replace?: Array<{ find: string; with: string; regex?: boolean; caseInsensitive?: boolean }>;
  fillEmpty?: string | number | boolean;
  cast?: CastTo;
  decimalSeparator?: '.' | ',';
  thousandsSeparator?: string;
  dateFormat?: string;
  onCastError?: 'empty' | 'keep' | 'fail';
}

function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|[\s\-'(])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase());
}

export const clean: StepModule<Params> = {
  type: 'clean',
  title: 'Clean values',
  description:
    'Tidies cells of the given columns (default: all): trim, collapse spaces, change case, replace text (literal or pattern), fill empty cells, cast to number/text/date/boolean. Applied in that order. ' +
    'A cast to number reads plain decimals (1234.56), and with decimalSeparator or thousandsSeparator numbers as people write them (1.234,56 €, $(1,234.56), 1.234,56-, 12,5 %); ' +
    'a cast to date reads ISO dates and Excel serials, and with dateFormat dates as written (DD.MM.YYYY, MM/DD/YYYY, YYYYMMDD). ' +
    'A csv file keeps the cells of the columns cast with a format as text, as the file wrote them, for every step.',
  paramsSchema: objectSchema(
    {
      ...sheetParams,
      columns: columnList,
      trim: { type: 'boolean' },
      collapseSpaces: { type: 'boolean' },
      case: { enum: ['upper', 'lower', 'title'] },
      replace: {
        type: 'array',
        items: objectSchema({ find: { type: 'string', minLength: 1, maxLength: 1000 }, with: { type: 'string', maxLength: 1000 }, regex: { type: 'boolean' }, caseInsensitive: { type: 'boolean' } }, ['find', 'with']),
      },
      fillEmpty: { type: ['string', 'number', 'boolean'] },
      ...castProperties,
      onCastError: { enum: ['empty', 'keep', 'fail'], description: 'A value that cannot be cast: left empty (default), kept as it is, or the run fails.' },
    },
    [],
    { allOf: castRules },
  ),
  check(p) {
    const issues: StepIssue[] = (p.replace ?? []).flatMap((r, i) => (r.regex ? checkPattern(r.find, `replace[${i}].find`) : []));
    if (p.dateFormat !== undefined) {
      const format = compileDateFormat(p.dateFormat);
      if ('error' in format) issues.push({ path: 'dateFormat', code: 'INVALID_VALUE', message: format.error });
    }
    return issues;
  },
  // A csv reader types 1.000 as the number 1, which with thousandsSeparator "." is a thousand: such a column is
  // read as the file wrote it, and cast here.
  textColumns: (p) => (readsTextAsWritten(p) ? (p.columns ?? 'all') : undefined),
  plan(p, ctx) {
    const into = p.into ?? ctx.sheetName(p.sheet);
    const replacers = (p.replace ?? []).map((r) => {
      if (r.regex) {
        const re = RE2JS.compile(r.find, r.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
        return (s: string) => re.matcher(s).replaceAll(r.with);
      }
      if (r.caseInsensitive) {
        const re = new RegExp(r.find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
        return (s: string) => s.replace(re, () => r.with);
      }
      return (s: string) => s.split(r.find).join(r.with);
    });
    const text = (s: string): string => {
      if (p.trim) s = s.trim();
      if (p.collapseSpaces) s = s.replace(/\s+/g, ' ');
      if (p.case === 'upper') s = s.toUpperCase();
      else if (p.case === 'lower') s = s.toLowerCase();
      else if (p.case === 'title') s = titleCase(s);
      for (const f of replacers) {
        // V8 refuses a string past its own limit (RangeError) before ours can be checked.
        try { s = f(s); } catch (e) { throw e instanceof RangeError ? textTooLarge('replace') : e; }
        if (s.length > MAX_BUILT_TEXT) throw textTooLarge('replace');
      }
      return s;
    };
    const caster = p.cast ? makeCaster({ ...p, cast: p.cast }) : null;
    let failures = 0;
    let firstFailure: string | null = null;
    const cell = (v: Value, column: number, name: string): Value => {
      if (typeof v === 'string') v = text(v);
      if (isEmpty(v) && p.fillEmpty !== undefined) v = p.fillEmpty;
      if (caster && !isEmpty(v)) {
        const c = caster(v, column, name);
        if (c instanceof CastFailure) {
          failures++;
          // The log line names the first value and why, at most 100 characters of it (a cell may hold megabytes).
          if (failures === 1 && c.reason !== null) firstFailure = `${JSON.stringify(toText(v).slice(0, 100))}, ${c.reason}`;
          if (p.onCastError === 'fail') throw new EngineError('VALIDATION_FAILED', `cannot cast ${JSON.stringify(toText(v))} to ${p.cast}${c.reason === null ? '' : `: it ${c.reason}`}`);
          return p.onCastError === 'keep' ? v : null;
        }
        return c;
      }
      return v;
    };
    const out = mapRows(ctx, ctx.read(p.sheet), into, (columns) => {
      const idx = p.columns ? indexes(columns, p.columns) : columns.map((_, i) => i);
      const width = columns.length;
      return {
        columns,
        row(r: Row) {
          const o = r.slice();
          if (p.fillEmpty !== undefined) while (o.length < width) o.push(null);
          for (const i of idx) if (i < o.length) o[i] = cell(o[i] ?? null, i, columns[i]!);
          return o;
        },
        end() {
          ctx.stats.warnings = failures;
          if (failures) ctx.log('warn', `${failures} values could not be cast to ${p.cast}${firstFailure === null ? '' : `; the first, ${firstFailure}`}`);
        },
      };
    });
    ctx.write(into, out);
  },
};
