import { compileCondition } from '../conditions.js';
import { compileExpression } from '../expr/compile.js';
import { compilePattern } from '../expr/regex.js';
import type { MemoryBudget } from '../flow/budget.js';
import { indexes } from '../flow/nodes.js';
import { isEmpty, parseIsoDate, toDate, toNumber, toText, truthy, valueKey, type Row, type Value } from '../values.js';

export type Check = 'required' | 'type' | 'range' | 'allowed' | 'pattern' | 'unique' | 'expression';

export interface Rule {
  column?: string;
  check: Check;
  severity?: 'WARNING' | 'BLOCKING';
  type?: 'number' | 'text' | 'date' | 'boolean';
  min?: number | string;
  max?: number | string;
  values?: Array<string | number | boolean>;
  caseInsensitive?: boolean;
  pattern?: string;
  expression?: string;
  message?: string;
}

/** A rule bound to a sheet's columns: returns null when the row passes, else the reason. */
export type BoundRule = { blocking: boolean; test: (r: Row) => string | null; release: () => void };

function bound(v: number | string | undefined): Value {
  if (v === undefined) return null;
  if (typeof v === 'string') return parseIsoDate(v) ?? v;
  return v;
}

/** Checks apply to filled cells only (except required), so an optional column can still be typed. */
export function bindRule(rule: Rule, columns: readonly string[], budget: MemoryBudget): BoundRule {
  const blocking = rule.severity !== 'WARNING';
  const col = rule.column ?? '';
  const i = rule.column === undefined ? -1 : indexes(columns, [rule.column])[0]!;
  const say = (why: string) => rule.message ?? (rule.column === undefined ? why : `${col}: ${why}`);
  const cell = (r: Row) => (i < 0 ? null : (r[i] ?? null));
  const none = () => undefined;
  const simple = (test: (v: Value) => boolean, why: string): BoundRule => ({
    blocking,
    release: none,
    test: (r) => {
      const v = cell(r);
      return isEmpty(v) || test(v) ? null : say(why);
    },
  });
  switch (rule.check) {
    case 'required':
      return { blocking, release: none, test: (r) => (isEmpty(cell(r)) ? say('is required') : null) };
    case 'type': {
      const t = rule.type ?? 'text';
      const is: Record<string, (v: Value) => boolean> = {
        number: (v) => typeof v === 'number',
        text: (v) => typeof v === 'string',
        date: (v) => v instanceof Date || (typeof v === 'string' && parseIsoDate(v.trim()) !== null),
        boolean: (v) => typeof v === 'boolean',
      };
      return simple(is[t]!, `is not a ${t}`);
    }
    case 'range': {
      const lo = bound(rule.min);
      const hi = bound(rule.max);
      const why = `is outside ${rule.min ?? '…'} to ${rule.max ?? '…'}`;
      // The bounds decide the type compared: numbers, dates (ISO text), else text.
      const asDate = lo instanceof Date || hi instanceof Date;
      const asNumber = typeof lo === 'number' || typeof hi === 'number';
      const key = (v: Value): number | string | null => (asDate ? (toDate(v)?.getTime() ?? null) : asNumber ? toNumber(v) : toText(v));
      const kl = lo === null ? null : key(lo);
      const kh = hi === null ? null : key(hi);
      return simple((v) => {
        const k = key(v);
        return k !== null && (kl === null || k >= kl) && (kh === null || k <= kh);
      }, why);
    }
    case 'allowed': {
      const test = compileCondition({ column: col, op: 'in', value: rule.values ?? [], caseInsensitive: rule.caseInsensitive === true }).bind(columns);
      return { blocking, release: none, test: (r) => (isEmpty(cell(r)) || test(r) ? null : say(`${JSON.stringify(toText(cell(r)))} is not an allowed value`)) };
    }
    case 'pattern': {
      const test = compilePattern(rule.pattern ?? '', rule.caseInsensitive === true);
      return simple((v) => test(toText(v)), `does not match ${rule.pattern}`);
    }
    case 'unique': {
      const seen = new Set<string>();
      let bytes = 0;
      return {
        blocking,
        release: () => {
          seen.clear();
          budget.release(0, bytes);
        },
        test: (r) => {
          const v = cell(r);
          if (isEmpty(v)) return null;
          const k = valueKey(v, rule.caseInsensitive === true);
          if (seen.has(k)) return say(`${JSON.stringify(toText(v))} is a duplicate`);
          seen.add(k);
          bytes += 48 + k.length * 2;
          budget.reserve(0, 48 + k.length * 2, `unique check of ${col}`);
          return null;
        },
      };
    }
    case 'expression': {
      const f = compileExpression(rule.expression ?? '').bind(columns);
      return { blocking, release: none, test: (r) => (truthy(f(r)) ? null : say(`fails ${rule.expression}`)) };
    }
  }
}
