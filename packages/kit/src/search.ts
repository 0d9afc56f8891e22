import { badInput } from './errors.js';

/** The longest text a list's name search takes (characters). */
export const MAX_SEARCH_LENGTH = 200;

/**
 * A list's "name contains" argument as a filter on `name`: ILIKE (any case) with `%`, `_` and the escape character
 * matched literally. Trimmed; empty or longer than MAX_SEARCH_LENGTH is BAD_USER_INPUT at `argument` (an empty
 * search would match everything: refused, not ignored). Undefined when the argument was not given.
 *
 * It is checked row by row after the list's index gives the tenant's rows in order: fine for the thousands of
 * workflows or files a tenant has; a trigram index would be the next step for far more.
 */
export function nameContains(raw: string | null | undefined, argument: string): { name: { $ilike: string } } | undefined {
  if (raw == null) return undefined;
  const text = raw.trim();
  if (!text || text.length > MAX_SEARCH_LENGTH) throw badInput(`${argument} must have 1 to ${MAX_SEARCH_LENGTH} characters`, { argument });
  return { name: { $ilike: `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } };
}
