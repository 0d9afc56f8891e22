import { EngineError, missingColumn } from './errors.js';
import { compileExpression } from './expr/compile.js';
import { compilePattern } from './expr/regex.js';
import { formatDate, isEmpty, parseIsoDate, parseNumber, serialToDate, toBoolean, toNumber, toText, truthy, type Row, type Value } from './values.js';

export const OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'matches', 'is_empty', 'is_not_empty'] as const;
export type Op = (typeof OPS)[number];
export type ValueType = 'number' | 'text' | 'date' | 'boolean';

export interface Leaf {
  column: string;
  op: Op;
  value?: unknown;
  caseInsensitive?: boolean;
  /** Compare as this type instead of deciding from the cell and the value. */
  type?: ValueType;
}
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | { expression: string } | Leaf;

type Test = (row: Row) => boolean;
type CellTest = (v: Value) => boolean;

export interface CompiledCondition {
  readonly columns: string[];
  bind(columns: readonly string[]): Test;
}

/** Compiles a condition tree once; `bind` then resolves its columns against a sheet's header. */
export function compileCondition(c: Condition): CompiledCondition {
  const columns = new Set<string>();
  const build = (n: Condition): ((cols: readonly string[]) => Test) => {
    if ('all' in n) {
      const parts = n.all.map(build);
      return (cols) => {
        const t = parts.map((p) => p(cols));
        if (t.length === 2) { const [a, b] = t as [Test, Test]; return (r) => a(r) && b(r); }
        return (r) => t.every((f) => f(r));
      };
    }
    if ('any' in n) {
      const parts = n.any.map(build);
      return (cols) => {
        const t = parts.map((p) => p(cols));
        return (r) => t.some((f) => f(r));
      };
    }
    if ('not' in n) {
      const inner = build(n.not);
      return (cols) => {
        const t = inner(cols);
        return (r) => !t(r);
      };
    }
    if ('expression' in n) {
      const e = compileExpression(n.expression);
      for (const col of e.columns) columns.add(col);
      return (cols) => {
        const f = e.bind(cols);
        return (r) => truthy(f(r));
      };
    }
    const test = leafTest(n);
    columns.add(n.column);
    return (cols) => {
      const i = cols.indexOf(n.column);
      if (i < 0) throw missingColumn(n.column, cols);
      return (r) => test(r[i] ?? null);
    };
  };
  const root = build(c);
  return { columns: [...columns], bind: root };
}

/** A condition value prepared once in every form a cell might be compared in. */
interface Operand {
  raw: unknown;
  num: number | null;
  date: number | null;
  text: string;
  bool: boolean | null;
}

function operand(v: unknown, ci: boolean, type: ValueType | undefined): Operand {
  if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new EngineError('INVALID_STEPS', `a condition value must be a number, a text, a boolean or null`);
  }
  const text = v === null ? '' : typeof v === 'string' ? v : toText(v);
  const num = typeof v === 'number' ? v : typeof v === 'string' ? parseNumber(v) : null;
  let date: number | null = typeof v === 'string' ? (parseIsoDate(v.trim())?.getTime() ?? null) : null;
  if (date === null && type === 'date' && typeof v === 'number') date = serialToDate(v)?.getTime() ?? null;
  return { raw: v, num, date, text: ci ? text.toLowerCase() : text, bool: typeof v === 'boolean' ? v : toBoolean(text === '' ? null : text) };
}

function textOf(v: Value, ci: boolean): string {
  const t = typeof v === 'string' ? v : toText(v);
  return ci ? t.toLowerCase() : t;
}

function cellDate(v: Value): number | null {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return serialToDate(v)?.getTime() ?? null;
  if (typeof v === 'string') return parseIsoDate(v.trim())?.getTime() ?? null;
  return null;
}

/** Orders a non-empty cell against the operand; null when they cannot be compared. */
function comparator(x: Operand, ci: boolean, type: ValueType | undefined): (v: Value) => number | null {
  const cmpText = (a: string) => (a < x.text ? -1 : a > x.text ? 1 : 0);
  switch (type) {
    case 'number':
      return (v) => { const n = toNumber(v); return n === null || x.num === null ? null : n - x.num; };
    case 'date':
      return (v) => { const d = cellDate(v); return d === null || x.date === null ? null : d - x.date; };
    case 'text':
      return (v) => cmpText(textOf(v, ci));
    case 'boolean':
      return (v) => { const b = toBoolean(v); return b === null || x.bool === null ? null : Number(b) - Number(x.bool); };
  }
  return (v) => {
    if (typeof v === 'number') return x.num !== null ? v - x.num : cmpText(String(v));
    if (typeof v === 'string') {
      if (typeof x.raw === 'number') { const n = parseNumber(v); return n === null ? null : n - x.num!; }
      if (typeof x.raw === 'boolean') { const b = toBoolean(v); return b === null ? null : Number(b) - Number(x.bool); }
      return cmpText(ci ? v.toLowerCase() : v);
    }
    if (v instanceof Date) return x.date !== null ? v.getTime() - x.date : cmpText(formatDate(v));
    if (typeof v === 'boolean') return x.bool === null ? null : Number(v) - Number(x.bool);
    return null;
  };
}

function leafTest(l: Leaf): CellTest {
  const ci = l.caseInsensitive === true;
  const op = l.op;
  if (op === 'is_empty') return (v) => isEmpty(v);
  if (op === 'is_not_empty') return (v) => !isEmpty(v);
  if (op === 'in' || op === 'not_in') {
    const list = Array.isArray(l.value) ? l.value : [l.value];
    const tests = list.map((item) => eqTest(operand(item, ci, l.type), ci, l.type));
    const matchesAny = (v: Value) => tests.some((t) => t(v));
    return op === 'in' ? matchesAny : (v) => !matchesAny(v);
  }
  if (op === 'between') {
    const [lo, hi] = Array.isArray(l.value) ? l.value : [];
    const a = comparator(operand(lo ?? null, ci, l.type), ci, l.type);
    const b = comparator(operand(hi ?? null, ci, l.type), ci, l.type);
    return (v) => {
      if (isEmpty(v)) return false;
      const x = a(v);
      const y = b(v);
      return x !== null && y !== null && x >= 0 && y <= 0;
    };
  }
  const x = operand(l.value ?? null, ci, l.type);
  if (op === 'contains' || op === 'starts_with' || op === 'ends_with') {
    const needle = x.text;
    const f = op === 'contains' ? (s: string) => s.includes(needle) : op === 'starts_with' ? (s: string) => s.startsWith(needle) : (s: string) => s.endsWith(needle);
    return (v) => !isEmpty(v) && f(textOf(v, ci));
  }
  if (op === 'matches') {
    const test = compilePattern(String(l.value ?? ''), ci);
    return (v) => !isEmpty(v) && test(textOf(v, false));
  }
  if (op === 'eq') return eqTest(x, ci, l.type);
  if (op === 'ne') {
    const eq = eqTest(x, ci, l.type);
    return (v) => !eq(v);
  }
  const cmp = comparator(x, ci, l.type);
  const fast = l.type === undefined && typeof x.raw === 'number' ? (x.raw as number) : null;
  const pick = (c: number) => (op === 'gt' ? c > 0 : op === 'gte' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0);
  if (fast !== null) {
    // The common case (a number column against a number) without the generic comparator.
    if (op === 'gt') return (v) => (typeof v === 'number' ? v > fast : slow(v));
    if (op === 'gte') return (v) => (typeof v === 'number' ? v >= fast : slow(v));
    if (op === 'lt') return (v) => (typeof v === 'number' ? v < fast : slow(v));
    return (v) => (typeof v === 'number' ? v <= fast : slow(v));
  }
  return slow;
  function slow(v: Value): boolean {
    if (isEmpty(v)) return false;
    const c = cmp(v);
    return c !== null && pick(c);
  }
}

/** Equality; an empty operand (null or "") matches empty cells. */
function eqTest(x: Operand, ci: boolean, type: ValueType | undefined): CellTest {
  if (x.raw === null || x.raw === '') return (v) => isEmpty(v);
  const cmp = comparator(x, ci, type);
  const generic = (v: Value) => {
    if (isEmpty(v)) return false;
    return cmp(v) === 0;
  };
  if (type === undefined && typeof x.raw === 'string' && !ci && x.num === null && x.date === null) {
    const s = x.raw;
    return (v) => (typeof v === 'string' ? v === s : generic(v));
  }
  if (type === undefined && typeof x.raw === 'number') {
    const n = x.raw;
    return (v) => (typeof v === 'number' ? v === n : generic(v));
  }
  return generic;
}
