import { utcTime } from '../values.js';

/**
 * Dates written for people, read by a small pattern language (clean's `dateFormat`):
 *
 *   YYYY  year, 4 digits          YY  year, 2 digits: 00-29 is 2000-2029, 30-99 is 1930-1999 (Excel's pivot)
 *   MM    month, 2 digits         M   month, 1 or 2 digits
 *   DD    day, 2 digits           D   day, 1 or 2 digits
 *   HH    hour 00-23, 2 digits    H   hour, 1 or 2 digits
 *   mm    minutes, 2 digits       ss  seconds, 2 digits
 *   . / - : , T and space stand for themselves (a space for one or more spaces, U+00A0 and U+202F too); [ ]
 *   encloses an optional part.
 *
 * `DD.MM.YYYY`, `MM/DD/YYYY`, `D/M/YY`, `YYYYMMDD`, `DD.MM.YYYY[ HH:mm[:ss]]`. A year, a month and a day are
 * required, outside any optional part; minutes need the hour, seconds the minutes. Case matters: `mm` is
 * minutes and `MM` the month, as in moment and date-fns, and `dd`, `yyyy` are refused rather than guessed.
 * A date that does not exist (31.02.2026, 24:00) is not a date: it is never rolled over into the next month.
 */

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

const TOKENS: Record<string, { field: Field; digits: string; width: number; twoDigitYear?: true }> = {
  YYYY: { field: 'year', digits: '\\d{4}', width: 4 },
  YY: { field: 'year', digits: '\\d{2}', width: 2, twoDigitYear: true },
  MM: { field: 'month', digits: '\\d{2}', width: 2 },
  M: { field: 'month', digits: '\\d{1,2}', width: 0 },
  DD: { field: 'day', digits: '\\d{2}', width: 2 },
  D: { field: 'day', digits: '\\d{1,2}', width: 0 },
  HH: { field: 'hour', digits: '\\d{2}', width: 2 },
  H: { field: 'hour', digits: '\\d{1,2}', width: 0 },
  mm: { field: 'minute', digits: '\\d{2}', width: 2 },
  ss: { field: 'second', digits: '\\d{2}', width: 2 },
};

/** What a mistyped token probably meant. */
const HINTS: Record<string, string> = {
  y: 'the year is YYYY or YY',
  Y: 'the year is YYYY or YY',
  d: 'the day is DD or D',
  D: 'the day is DD or D',
  M: 'the month is MM or M (month names are not supported)',
  m: 'minutes are mm; the month is MM or M',
  h: 'the hour is HH or H, 0 to 23',
  H: 'the hour is HH or H, 0 to 23',
  s: 'seconds are ss',
};

const LITERALS = './-:, T';

export interface DateFormat {
  readonly pattern: string;
  readonly regex: RegExp;
  /** The field each capture group of `regex` holds, in order. */
  readonly groups: ReadonlyArray<{ field: Field; twoDigitYear: boolean }>;
  /** For a pattern of digits only (`YYYYMMDD`): its width, so a number cell 1012026 reads as `01012026`. */
  readonly digitsOnly: number | null;
  /**
   * Whether the pattern starts with a field a number cell drops zeros of: a day, a month, an hour or a two-digit
   * year below 10 (`DDMMYYYY`'s 01012026 is the number 1012026). Not a four-digit year, which has none from 1000
   * on: a shorter number is not written as the pattern (991231 for `YYYYMMDD` is a YYMMDD date, not the year 99).
   */
  readonly zerosInFront: boolean;
}

/** Compiles a dateFormat pattern, or says what is wrong with it. */
export function compileDateFormat(pattern: string): DateFormat | { error: string } {
  try {
    return compile(pattern);
  } catch (e) {
    if (e instanceof PatternError) return { error: e.message };
    throw e;
  }
}

class PatternError extends Error {}

function compile(pattern: string): DateFormat {
  const groups: Array<{ field: Field; twoDigitYear: boolean }> = [];
  // Where each field sits: the chain of optional parts around it, outermost first.
  const placed = new Map<Field, number[]>();
  const open: number[] = [];
  let sections = 0;
  let regex = '';
  let digitsOnly = true;
  let width = 0;
  let previous: 'number' | 'variable' | 'other' = 'other';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === '[') {
      open.push(++sections);
      regex += '(?:';
      digitsOnly = false;
      i++;
      continue;
    }
    if (c === ']') {
      if (open.length === 0) throw invalid(`has a "]" without its "["`);
      if (regex.endsWith('(?:')) throw invalid('has an empty optional part "[]"');
      open.pop();
      regex += ')?';
      i++;
      continue;
    }
    if (LITERALS.includes(c)) {
      // Any of the three spaces a number's thousands separator " " takes: ICU's newer locale data writes U+202F
      // where it wrote U+00A0 (before a day period, between French digit groups), and exports copy either.
      regex += c === ' ' ? '[ \\u00a0\\u202f]+' : c.replace(/[.\\/-]/g, '\\$&');
      digitsOnly = false;
      previous = 'other';
      i++;
      continue;
    }
    let j = i;
    while (j < pattern.length && pattern[j] === c) j++;
    const run = pattern.slice(i, j);
    const token = Object.hasOwn(TOKENS, run) ? TOKENS[run] : undefined;
    if (!token) {
      const hint = HINTS[c];
      throw invalid(hint ? `has "${run}", which is not a field: ${hint}` : `has ${JSON.stringify(c)}, which is neither a field nor a separator (${LITERALS.split('').map((l) => JSON.stringify(l)).join(' ')})`);
    }
    if (placed.has(token.field)) throw invalid(`has the ${token.field} twice`);
    const variable = token.width === 0;
    // D1122026 cannot be read: a field of 1 or 2 digits needs a separator next to another number.
    if (previous !== 'other' && (variable || previous === 'variable')) throw invalid(`needs a separator between "${run}" and the field before it: a field of 1 or 2 digits (D, M, H) cannot touch another`);
    placed.set(token.field, [...open]);
    groups.push({ field: token.field, twoDigitYear: token.twoDigitYear === true });
    regex += `(${token.digits})`;
    width += token.width;
    previous = variable ? 'variable' : 'number';
    i = j;
  }
  if (open.length > 0) throw invalid('has a "[" without its "]"');
  const hour = placed.get('hour');
  const minute = placed.get('minute');
  const second = placed.get('second');
  if (minute && !hour) throw invalid('has mm (minutes) without the hour; the month is MM or M');
  if (hour && !(minute && sameParts(hour, minute))) throw invalid('needs the minutes beside the hour, in the same optional part: HH:mm');
  // Seconds may be optional where the minutes are not (HH:mm[:ss]), never present without them.
  if (second && !(minute && minute.every((part, k) => second[k] === part))) throw invalid('has ss (seconds) without the minutes beside them');
  for (const field of ['year', 'month', 'day'] as const) {
    const at = placed.get(field);
    if (!at) throw invalid(`has no ${field}: a date needs YYYY or YY, MM or M, and DD or D`);
    if (at.length > 0) throw invalid(`has the ${field} in an optional part: a date always needs it`);
  }
  const first = groups[0]!;
  return { pattern, regex: new RegExp(`^${regex}$`), groups, digitsOnly: digitsOnly ? width : null, zerosInFront: first.field !== 'year' || first.twoDigitYear };
}

export type DateParse = { ok: true; value: Date } | { ok: false; reason: string };

/** Reads `text` (spaces around it aside) as a date of `format`, in UTC as every date of the engine. */
export function parseFormattedDate(text: string, format: DateFormat): DateParse {
  const m = format.regex.exec(text.trim());
  if (!m) return { ok: false, reason: `is not written as ${format.pattern}` };
  const f: Record<Field, number> = { year: NaN, month: NaN, day: NaN, hour: 0, minute: 0, second: 0 };
  format.groups.forEach((g, k) => {
    const digits = m[k + 1];
    if (digits === undefined) return;
    const n = Number(digits);
    // Excel's pivot: two-digit years 00-29 are 2000-2029, 30-99 are 1930-1999.
    f[g.field] = g.twoDigitYear ? (n < 30 ? 2000 + n : 1900 + n) : n;
  });
  // The year 0000 is a year, as in the csv reader's ISO dates and date(0, 1, 1); 00000000 (SAP's empty date) has no month.
  if (f.month < 1 || f.month > 12 || f.day < 1) return { ok: false, reason: 'is not a date' };
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return { ok: false, reason: 'is not a time of day' };
  const d = new Date(utcTime(f.year, f.month - 1, f.day, f.hour, f.minute, f.second));
  // 31.02.2026 would be 3 March: not a date, and never rolled over.
  if (d.getUTCMonth() !== f.month - 1 || d.getUTCDate() !== f.day) return { ok: false, reason: 'is not a date' };
  return { ok: true, value: d };
}

function sameParts(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((part, k) => b[k] === part);
}

function invalid(message: string): PatternError {
  return new PatternError(message);
}
