import jsep from 'jsep';
import { EngineError, missingColumn } from '../errors.js';
import { isEmpty, truthy, type Row, type Value } from '../values.js';
import { FUNCTIONS } from './functions.js';
import { add, arithmetic, compareLoose, equalsLoose, subtract } from './ops.js';
import { compilePattern } from './regex.js';

/**
 * The expression language of compute_column and of condition leaves: JavaScript-like syntax parsed by jsep
 * (a small, maintained parser that only builds a syntax tree and never evaluates), then compiled here into
 * closures over a whitelist: literals, column names, + - * / % **, comparisons, && || ! ??, `c ? a : b`,
 * and the functions of functions.ts. Member access, `this`, arrays and anything else are refused when the
 * step is validated, so an expression cannot reach the host, a prototype or a loop; work per row is bounded
 * by the size of the tree, itself capped.
 *
 * Columns are identifiers (`amount * 0.2`) or `col("unit price")` for names that are not identifiers.
 */
export const MAX_EXPRESSION_LENGTH = 4000;
const MAX_NODES = 500;

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'col'; name: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'if'; c: Node; a: Node; b: Node }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'match'; a: Node; test: (s: string) => boolean };

type Evaluator = (row: Row) => Value;

export interface CompiledExpression {
  /** Column names the expression reads. */
  readonly columns: string[];
  /** Resolves column names to positions of a sheet; MISSING_COLUMN when one is absent. */
  bind(columns: readonly string[]): Evaluator;
}

function bad(message: string): EngineError {
  return new EngineError('BAD_EXPRESSION', message);
}

const BINARY = new Set(['+', '-', '*', '/', '%', '**', '==', '===', '!=', '!==', '<', '<=', '>', '>=', '&&', '||', '??']);
const UNARY = new Set(['-', '+', '!']);

export function compileExpression(source: string): CompiledExpression {
  if (typeof source !== 'string' || source.trim() === '') throw bad('the expression is empty');
  if (source.length > MAX_EXPRESSION_LENGTH) throw bad(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let ast: jsep.Expression;
  try {
    ast = jsep(source);
  } catch (e) {
    throw bad(`cannot parse the expression: ${(e as Error).message}`);
  }
  let count = 0;
  const columns = new Set<string>();
  const convert = (n: jsep.Expression): Node => {
    if (++count > MAX_NODES) throw bad(`the expression has more than ${MAX_NODES} parts`);
    switch (n.type) {
      case 'Literal': {
        const v = (n as jsep.Literal).value;
        if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return { k: 'lit', v };
        throw bad('unsupported literal');
      }
      case 'Identifier': {
        const name = (n as jsep.Identifier).name;
        columns.add(name);
        return { k: 'col', name };
      }
      case 'UnaryExpression': {
        const u = n as jsep.UnaryExpression;
        if (!UNARY.has(u.operator)) throw bad(`operator ${u.operator} is not supported`);
        return { k: 'un', op: u.operator, a: convert(u.argument) };
      }
      case 'BinaryExpression': {
        const b = n as jsep.BinaryExpression;
        if (!BINARY.has(b.operator)) throw bad(`operator ${b.operator} is not supported`);
        return { k: 'bin', op: b.operator, a: convert(b.left), b: convert(b.right) };
      }
      case 'ConditionalExpression': {
        const c = n as jsep.ConditionalExpression;
        return { k: 'if', c: convert(c.test), a: convert(c.consequent), b: convert(c.alternate) };
      }
      case 'CallExpression': {
        const c = n as jsep.CallExpression;
        if (c.callee.type !== 'Identifier') throw bad('only named functions can be called');
        const name = (c.callee as jsep.Identifier).name.toLowerCase();
        const literal = (i: number): string => {
          const a = c.arguments[i];
          if (a?.type !== 'Literal' || typeof (a as jsep.Literal).value !== 'string') throw bad(`${name}() takes a text literal as argument ${i + 1}`);
          return (a as jsep.Literal).value as string;
        };
        if (name === 'col') {
          if (c.arguments.length !== 1) throw bad('col() takes one column name');
          const col = literal(0);
          columns.add(col);
          return { k: 'col', name: col };
        }
        if (name === 'matches') {
          if (c.arguments.length < 2 || c.arguments.length > 3) throw bad('matches() takes a value, a pattern and optionally "i"');
          const flags = c.arguments.length === 3 ? literal(2) : '';
          return { k: 'match', a: convert(c.arguments[0]!), test: compilePattern(literal(1), flags.includes('i')) };
        }
        const f = FUNCTIONS.get(name);
        if (!f) throw bad(`unknown function ${name}()`);
        if (c.arguments.length < f.min || c.arguments.length > f.max) throw bad(`${name}() takes ${f.min === f.max ? f.min : `${f.min} to ${f.max}`} arguments`);
        return { k: 'call', name, args: c.arguments.map(convert) };
      }
      default:
        throw bad(`${n.type} is not allowed in an expression`);
    }
  };
  const root = convert(ast);
  return { columns: [...columns], bind: (cols) => bindNode(root, cols) };
}

function bindNode(n: Node, cols: readonly string[]): Evaluator {
  switch (n.k) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'col': {
      const i = cols.indexOf(n.name);
      if (i < 0) throw missingColumn(n.name, cols);
      return (r) => r[i] ?? null;
    }
    case 'un': {
      const a = bindNode(n.a, cols);
      if (n.op === '!') return (r) => !truthy(a(r));
      if (n.op === '-') return (r) => arithmetic(0, a(r), NEG);
      return (r) => arithmetic(0, a(r), POS);
    }
    case 'if': {
      const c = bindNode(n.c, cols);
      const a = bindNode(n.a, cols);
      const b = bindNode(n.b, cols);
      return (r) => (truthy(c(r)) ? a(r) : b(r));
    }
    case 'match': {
      const a = bindNode(n.a, cols);
      const test = n.test;
      return (r) => {
        const v = a(r);
        return v === null ? false : test(typeof v === 'string' ? v : String(v));
      };
    }
    case 'call': {
      const f = FUNCTIONS.get(n.name)!.fn;
      const args = n.args.map((x) => bindNode(x, cols));
      return (r) => f(args.map((g) => g(r)));
    }
    case 'bin':
      return bindBinary(n.op, bindNode(n.a, cols), bindNode(n.b, cols));
  }
}

const MUL = (x: number, y: number) => x * y;
const DIV = (x: number, y: number) => x / y;
const MOD = (x: number, y: number) => x % y;
const POW = (x: number, y: number) => x ** y;
const NEG = (x: number, y: number) => x - y;
const POS = (x: number, y: number) => x + y;

function bindBinary(op: string, a: Evaluator, b: Evaluator): Evaluator {
  switch (op) {
    case '+': return (r) => add(a(r), b(r));
    case '-': return (r) => subtract(a(r), b(r));
    case '*': return (r) => arithmetic(a(r), b(r), MUL);
    case '/': return (r) => arithmetic(a(r), b(r), DIV);
    case '%': return (r) => arithmetic(a(r), b(r), MOD);
    case '**': return (r) => arithmetic(a(r), b(r), POW);
    case '==': case '===': return (r) => equalsLoose(a(r), b(r));
    case '!=': case '!==': return (r) => !equalsLoose(a(r), b(r));
    case '<': return (r) => { const c = compareLoose(a(r), b(r)); return c !== null && c < 0; };
    case '<=': return (r) => { const c = compareLoose(a(r), b(r)); return c !== null && c <= 0; };
    case '>': return (r) => { const c = compareLoose(a(r), b(r)); return c !== null && c > 0; };
    case '>=': return (r) => { const c = compareLoose(a(r), b(r)); return c !== null && c >= 0; };
    case '&&': return (r) => truthy(a(r)) && truthy(b(r));
    case '||': return (r) => truthy(a(r)) || truthy(b(r));
    default: return (r) => { const x = a(r); return isEmpty(x) ? b(r) : x; };
  }
}
