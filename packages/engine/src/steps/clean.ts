import { RE2JS } from 're2js';
import { EngineError } from '../errors.js';
import { indexes, mapRows } from '../flow/nodes.js';
import type { StepModule } from '../flow/step-api.js';
import { checkPattern } from '../schema/checks.js';
import { columnList, objectSchema, sheetParams } from '../schema/common.js';
import { isEmpty, MAX_BUILT_TEXT, serialToDate, textTooLarge, toBoolean, toDate, toNumber, toText, type Row, type Value } from '../values.js';

type Cast = 'number' | 'text' | 'date' | 'boolean';

interface Params {
  sheet?: string;
  into?: string;
  columns?: string[];
  trim?: boolean;
  collapseSpaces?: boolean;
  case?: 'upper' | 'lower' | 'title';
  replace?: Array<{ find: string; with: string; regex?: boolean; caseInsensitive?: boolean }>;
  fillEmpty?: string | number | boolean;
  cast?: Cast;
  onCastError?: 'empty' | 'keep' | 'fail';
}

function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|[\s\-'(])(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase());
}

function cast(v: Value, to: Cast): Value {
  switch (to) {
    case 'number':
      return toNumber(typeof v === 'string' ? v.replace(/[\s\u00a0]/g, '') : v);
    case 'text':
      return toText(v);
    case 'date':
      return typeof v === 'number' ? serialToDate(v) : toDate(v);
    case 'boolean':
      return toBoolean(v);
  }
}

export const clean: StepModule<Params> = {
  type: 'clean',
  title: 'Clean values',
  description:
    'Tidies cells of the given columns (default: all): trim, collapse spaces, change case, replace text (literal or pattern), fill empty cells, cast to number/text/date/boolean. Applied in that order.',
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
      cast: { enum: ['number', 'text', 'date', 'boolean'] },
      onCastError: { enum: ['empty', 'keep', 'fail'], description: 'A value that cannot be cast: left empty (default), kept as it is, or the run fails.' },
    },
    [],
  ),
  check: (p) => (p.replace ?? []).flatMap((r, i) => (r.regex ? checkPattern(r.find, `replace[${i}].find`) : [])),
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
    let failures = 0;
    const cell = (v: Value): Value => {
      if (typeof v === 'string') v = text(v);
      if (isEmpty(v) && p.fillEmpty !== undefined) v = p.fillEmpty;
      if (p.cast && !isEmpty(v)) {
        const c = cast(v, p.cast);
        if (c === null) {
          failures++;
          if (p.onCastError === 'fail') throw new EngineError('VALIDATION_FAILED', `cannot cast ${JSON.stringify(toText(v))} to ${p.cast}`);
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
          for (const i of idx) if (i < o.length) o[i] = cell(o[i] ?? null);
          return o;
        },
        end() {
          ctx.stats.warnings = failures;
          if (failures) ctx.log('warn', `${failures} values could not be cast to ${p.cast}`);
        },
      };
    });
    ctx.write(into, out);
  },
};
