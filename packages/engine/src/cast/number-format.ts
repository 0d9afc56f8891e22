/**
 * Numbers written for people: `1.234,56` (German), `$1,234.56` and `(1,234.56)` (US), `1 234,56 €` (French),
 * `1'234.56` (Swiss), `1.234,56-` (SAP), `12,5 %`. What clean's `cast: "number"` reads once it is told the
 * separators (decimalSeparator, thousandsSeparator); without them it reads plain decimals as it always did.
 *
 * Strict where a mistake would change the value: digits between thousands separators come in threes (`1.23`
 * with thousandsSeparator "." is not 123), a separator that is neither of the two is refused, and a value whose
 * digits a number cannot hold exactly (more than 15 to 17 significant digits) is refused rather than rounded.
 */

export interface NumberFormat {
  decimalSeparator: '.' | ',';
  /** Absent: no thousands separator. " " stands for any of U+0020, U+00A0 and U+202F; "'" for ' and ’. */
  thousandsSeparator?: string;
}

export type NumberParse = { ok: true; value: number; currency: string | null } | { ok: false; reason: string };

/** The smallest double with all 53 bits of precision; below it they run out (subnormal numbers). */
const MIN_NORMAL = 2 ** -1022;

const SPACES = ' \u00a0\u202f';
const APOSTROPHES = "'\u2019";

/** The characters a thousands separator may be written with in a value. */
export function groupCharacters(thousandsSeparator: string | undefined): string {
  if (thousandsSeparator === undefined) return '';
  if (SPACES.includes(thousandsSeparator)) return SPACES;
  if (APOSTROPHES.includes(thousandsSeparator)) return APOSTROPHES;
  return thousandsSeparator;
}

/**
 * ISO 4217 codes of the currencies in use. A code is taken as a currency only from this list: three capital
 * letters that are not one (`KGM`, a unit of measure in SAP exports) leave the value not a number.
 */
const CURRENCY_CODES = new Set(
  ('AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF ' +
    'CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG ' +
    'HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA ' +
    'MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD ' +
    'RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH ' +
    'UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL').split(' '),
);

/** A currency symbol (`$`, `€`, `£`, `¥`, `₹`, any Unicode Sc), optionally after capitals (`US$`, `R$`), or a code. */
const LEADING_CURRENCY = /^(?:[A-Z]{0,3}\p{Sc}|[A-Z]{3}(?![A-Za-z]))/u;
const TRAILING_CURRENCY = /(?:[A-Z]{0,3}\p{Sc}|(?<![A-Za-z])[A-Z]{3})$/u;
const SIGNS = '+-\u2212';

/** A symbol, or three capitals that are an ISO 4217 code. */
function isCurrency(token: string): boolean {
  return !/^[A-Z]{3}$/.test(token) || CURRENCY_CODES.has(token);
}

/**
 * Reads `text` as a number written with `format`. Around the number, in any order and with spaces between or
 * not: one sign (a leading + or -, U+2212 too, or a trailing - as SAP writes it) or parentheses for a negative,
 * one currency (symbol or ISO code, before or after), and a trailing percent sign (the value is divided by
 * 100, as Excel reads `12,5 %`). A currency and a percent sign together are not a number.
 */
export function parseFormattedNumber(text: string, format: NumberFormat): NumberParse {
  let s = text.trim();
  let negative = false;
  let signs = 0;
  let parens = 0;
  let currency: string | null = null;
  let currencies = 0;
  let percent = false;
  for (;;) {
    const first = s[0];
    const last = s[s.length - 1];
    const lead = LEADING_CURRENCY.exec(s)?.[0];
    const trail = TRAILING_CURRENCY.exec(s)?.[0];
    if (first === '(' && last === ')' && s.length > 1) {
      parens++;
      negative = true;
      s = s.slice(1, -1);
    } else if (first !== undefined && SIGNS.includes(first)) {
      signs++;
      if (first !== '+') negative = true;
      s = s.slice(1);
    } else if (last === '-' || last === '\u2212') {
      signs++;
      negative = true;
      s = s.slice(0, -1);
    } else if (last === '%' && !percent) {
      percent = true;
      s = s.slice(0, -1);
    } else if (lead !== undefined && isCurrency(lead)) {
      currencies++;
      currency = lead;
      s = s.slice(lead.length);
    } else if (trail !== undefined && isCurrency(trail)) {
      currencies++;
      currency = trail;
      s = s.slice(0, -trail.length);
    } else {
      break;
    }
    s = s.trim();
  }
  if (signs + parens > 1) return fail('has more than one sign');
  if (currencies > 1) return fail('has more than one currency');
  if (percent && currency !== null) return fail('has both a currency and a percent sign');
  const digits = readDigits(s, format);
  if (!digits.ok) return digits;
  const { whole, fraction } = digits;
  const value = Number(`${whole || '0'}.${fraction || '0'}${percent ? 'e-2' : ''}`);
  if (!Number.isFinite(value)) return fail('is too large for a number');
  if (!holdsExactly(value, whole, fraction, percent ? -2 : 0)) {
    // Digits that underflow are not too many but too small: 0,000…0001 with 400 zeros is the double 0, and below
    // the smallest normal double (2.2e-308) fewer digits are held the smaller the value is.
    if (value === 0) return fail('is too small for a number: it would be 0');
    if (value < MIN_NORMAL) return fail('is too small for a number to hold exactly');
    return fail('has more significant digits than a number holds exactly');
  }
  return { ok: true, value: negative && value !== 0 ? -value : value, currency };
}

type Digits = { ok: true; whole: string; fraction: string } | { ok: false; reason: string };

/** The digits of `s` left and right of the decimal separator, its thousands separators checked and dropped. */
function readDigits(s: string, format: NumberFormat): Digits {
  if (s === '') return fail('has no digits');
  const d = format.decimalSeparator;
  const at = s.indexOf(d);
  if (at >= 0 && s.indexOf(d, at + 1) >= 0) return fail(`has more than one decimal separator "${d}"`);
  const left = at < 0 ? s : s.slice(0, at);
  const fraction = at < 0 ? '' : s.slice(at + 1);
  if (!/^\d*$/.test(fraction)) return fail(/\d/.test(fraction) ? `has something other than digits after the decimal separator "${d}"` : 'is not a number');
  if (left === '' && fraction === '') return fail('has no digits');
  if (/^\d*$/.test(left)) {
    // As the reader and the plain cast: a whole part with leading zeros is an id or a code, not an amount.
    if (left.length > 1 && left[0] === '0') return fail('has leading zeros');
    return { ok: true, whole: left, fraction };
  }
  const group = groupCharacters(format.thousandsSeparator);
  const separator = [...left].find((c) => c < '0' || c > '9')!;
  if (!group.includes(separator)) {
    if (!/^[\d.,' \u00a0\u202f\u2019]+$/.test(left)) return fail('is not a number');
    return fail(`has ${JSON.stringify(separator)}, which is neither its decimal nor its thousands separator`);
  }
  const groups = left.split(separator);
  if (groups.some((g) => !/^\d+$/.test(g))) return fail('is not a number');
  // 1.234.567 is three groups; 1.23 or 1234.567 or 0.123 is no grouping at all, and taking it as one would change
  // the value a hundredfold or more without a word.
  if (groups[0]!.length > 3 || groups[0]![0] === '0' || groups.slice(1).some((g) => g.length !== 3)) {
    return fail(`does not group its digits in threes between thousands separators "${separator}"`);
  }
  return { ok: true, whole: groups.join(''), fraction };
}

/**
 * Whether the double `value` is exactly the decimal written (`whole`.`fraction` times 10^`shift`): its shortest
 * text has the same significant digits. Always so up to 15 digits; past them only for some values
 * (`9007199254740993` is the double `9007199254740992`).
 */
function holdsExactly(value: number, whole: string, fraction: string, shift: number): boolean {
  const all = whole + fraction;
  const start = all.search(/[1-9]/);
  if (start < 0) return true;
  // Trailing zeros by a loop from the end: /0+$/ tries every zero as a start and scans to the end from each, so a
  // cell of 100,000 digits (0,1000…0001) took minutes, and a csv cell may hold 8 MiB.
  let end = all.length;
  while (all.charCodeAt(end - 1) === 48) end--;
  const significant = all.slice(start, end);
  const exponent = whole.length - 1 - start + shift;
  const written = `${significant[0]}${significant.length > 1 ? `.${significant.slice(1)}` : ''}e${exponent < 0 ? '-' : '+'}${Math.abs(exponent)}`;
  return value.toExponential() === written;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
