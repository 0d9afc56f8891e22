import type { Condition } from '../conditions.js';
import { EngineError, type StepIssue } from '../errors.js';
import { compileExpression } from '../expr/compile.js';
import { compilePattern } from '../expr/regex.js';

/** Runs `f` and turns the EngineError it throws into an issue at `path`. */
export function issueOf(path: string, f: () => unknown): StepIssue[] {
  try {
    f();
    return [];
  } catch (e) {
    if (e instanceof EngineError) return [{ path, code: e.code, message: e.message }];
    throw e;
  }
}

export const checkExpression = (source: string, path: string) => issueOf(path, () => compileExpression(source));
export const checkPattern = (pattern: string, path: string) => issueOf(path, () => compilePattern(pattern));

/** Expressions and patterns inside a condition tree (the schema has already checked its shape). */
export function checkCondition(c: Condition, path: string): StepIssue[] {
  if ('all' in c) return c.all.flatMap((x, i) => checkCondition(x, `${path}.all[${i}]`));
  if ('any' in c) return c.any.flatMap((x, i) => checkCondition(x, `${path}.any[${i}]`));
  if ('not' in c) return checkCondition(c.not, `${path}.not`);
  if ('expression' in c) return checkExpression(c.expression, `${path}.expression`);
  if (c.op === 'matches' && typeof c.value === 'string') return checkPattern(c.value, `${path}.value`);
  return [];
}
