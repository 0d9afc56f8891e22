import { RE2JS } from 're2js';
import { EngineError } from '../errors.js';

const MAX_PATTERN = 1000;

/**
 * User-supplied patterns run on RE2JS, a linear-time engine (no backtracking), so no pattern can make one
 * row take exponential time the way `(a+)+$` does in V8's own RegExp.
 */
export function compilePattern(pattern: string, caseInsensitive = false): (text: string) => boolean {
  if (pattern.length > MAX_PATTERN) throw new EngineError('BAD_PATTERN', `pattern is longer than ${MAX_PATTERN} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw new EngineError('BAD_PATTERN', `invalid pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  return (text) => re.test(text);
}
