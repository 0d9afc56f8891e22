import { describe, expect, it } from 'vitest';
import { compileDateFormat, parseFormattedDate, type DateFormat } from '../src/cast/date-format.js';
import { parseFormattedNumber, type NumberFormat } from '../src/cast/number-format.js';

const GERMAN: NumberFormat = { decimalSeparator: ',', thousandsSeparator: '.' };
const US: NumberFormat = { decimalSeparator: '.', thousandsSeparator: ',' };
const value = (text: string, format: NumberFormat) => {
  const r = parseFormattedNumber(text, format);
  return r.ok ? r.value : `refused: ${r.reason}`;
};

describe('numbers as people write them', () => {
  it('reads German amounts: thousands ".", decimal ",", grouped or not, SAP trailing minus', () => {
    const cases: Array<[string, number]> = [
      ['1.234,56', 1234.56], ['1.000', 1000], ['12.345.678,9', 12345678.9], ['1234,56', 1234.56], ['0,5', 0.5], [',5', 0.5],
      ['-1.234,56', -1234.56], ['1.234,56-', -1234.56], ['\u22121.234,56', -1234.56], ['+7', 7], ['  1.234,56 ', 1234.56], ['0', 0],
    ];
    for (const [text, n] of cases) expect(value(text, GERMAN), text).toBe(n);
    expect(Object.is(value('-0,00', GERMAN), 0)).toBe(true);
  });

  it('reads US amounts: $, parentheses for negatives, currency inside or outside them', () => {
    const cases: Array<[string, number]> = [
      ['$1,234.56', 1234.56], ['(1,234.56)', -1234.56], ['($1,234.56)', -1234.56], ['$(1,234.56)', -1234.56], ['-$1,234.56', -1234.56],
      ['$-1,234.56', -1234.56], ['1,234', 1234], ['US$ 1,234,567.89', 1234567.89], ['USD 1,234.56', 1234.56], ['$.50', 0.5],
    ];
    for (const [text, n] of cases) expect(value(text, US), text).toBe(n);
    expect(parseFormattedNumber('$1,234.56', US)).toEqual({ ok: true, value: 1234.56, currency: '$' });
    expect(parseFormattedNumber('1.234,56 EUR', GERMAN)).toEqual({ ok: true, value: 1234.56, currency: 'EUR' });
    expect(parseFormattedNumber('€1.234,56', GERMAN)).toEqual({ ok: true, value: 1234.56, currency: '€' });
  });

  it('reads Swiss apostrophes and French spaces, no-break and narrow no-break ones too', () => {
    for (const sep of ["'", '\u2019']) expect(value(`CHF 1${sep}234.50`, { decimalSeparator: '.', thousandsSeparator: "'" })).toBe(1234.5);
    for (const sep of [' ', '\u00a0', '\u202f']) {
      expect(value(`1${sep}234${sep}567,89 €`, { decimalSeparator: ',', thousandsSeparator: ' ' })).toBe(1234567.89);
      expect(value(`1${sep}234,5`, { decimalSeparator: ',', thousandsSeparator: '\u202f' })).toBe(1234.5);
    }
  });

  it('reads a percent sign as Excel does, dividing by 100 on the decimal digits', () => {
    expect(value('12,5 %', GERMAN)).toBe(0.125);
    expect(value('12,5%', GERMAN)).toBe(0.125);
    expect(value('-3,5 %', GERMAN)).toBe(-0.035);
    expect(value('(3.5%)', US)).toBe(-0.035);
    expect(value('1.234,5 %', GERMAN)).toBe(12.345);
    // 1.1 / 100 is 0.011000000000000001 as doubles; the digits shifted are 0.011.
    expect(value('1,1 %', GERMAN)).toBe(0.011);
  });

  it('refuses digits not grouped in threes rather than reading 1.23 as 123', () => {
    for (const text of ['1.23', '1.2345', '1234.567', '0.123', '1.234.56', '12.34.567']) {
      expect(value(text, GERMAN), text).toBe('refused: does not group its digits in threes between thousands separators "."');
    }
    expect(value('1,23', US)).toBe('refused: does not group its digits in threes between thousands separators ","');
  });

  it('refuses a separator that is neither of the two, and a second decimal separator', () => {
    expect(value('1.234,56', { decimalSeparator: ',' })).toBe('refused: has ".", which is neither its decimal nor its thousands separator');
    expect(value('1,234.56', { decimalSeparator: '.' })).toBe('refused: has ",", which is neither its decimal nor its thousands separator');
    expect(value('1 234,56', { decimalSeparator: ',' })).toBe('refused: has " ", which is neither its decimal nor its thousands separator');
    expect(value('1.234,56', US)).toMatch(/^refused: has something other than digits after the decimal separator/);
    expect(value('1,2,3', GERMAN)).toBe('refused: has more than one decimal separator ","');
  });

  it('refuses signs, currencies and percent signs that contradict each other', () => {
    expect(value('--5', US)).toBe('refused: has more than one sign');
    expect(value('-(5)', US)).toBe('refused: has more than one sign');
    expect(value('(-5)', US)).toBe('refused: has more than one sign');
    expect(value('-5-', US)).toBe('refused: has more than one sign');
    expect(value('$5 €', US)).toBe('refused: has more than one currency');
    expect(value('$5%', US)).toBe('refused: has both a currency and a percent sign');
    expect(value('(5', US)).toBe('refused: is not a number');
  });

  it('refuses what is no amount: codes that are not currencies, exponents, leading zeros, text', () => {
    expect(value('KGM 5', US)).toBe('refused: is not a number');
    expect(value('1.5E3', US)).toBe('refused: has something other than digits after the decimal separator "."');
    expect(value('15E3', US)).toBe('refused: is not a number');
    expect(value('007', US)).toBe('refused: has leading zeros');
    expect(value('0012,50', GERMAN)).toBe('refused: has leading zeros');
    expect(value('abc', US)).toBe('refused: is not a number');
    expect(value('$', US)).toBe('refused: has no digits');
    expect(value('-', US)).toBe('refused: has no digits');
  });

  it('refuses digits a number cannot hold exactly instead of rounding them away', () => {
    expect(value('9.007.199.254.740.993', GERMAN)).toBe('refused: has more significant digits than a number holds exactly');
    expect(value('12345678901234567890', GERMAN)).toBe('refused: has more significant digits than a number holds exactly');
    expect(value('0,12345678901234567', GERMAN)).toBe('refused: has more significant digits than a number holds exactly');
    // Digits a double holds are kept, however many: trailing zeros are no precision.
    expect(value('9.007.199.254.740.992', GERMAN)).toBe(9007199254740992);
    expect(value('1.000.000.000.000.000.000,00', GERMAN)).toBe(1e18);
    expect(value('59,970000000000006', GERMAN)).toBe(59.970000000000006);
    expect(value('1'.repeat(400), GERMAN)).toBe('refused: is too large for a number');
  });

  it('says a value is too small for a number when its digits underflow, not that it has too many of them', () => {
    const zeros = '0'.repeat(400);
    expect(value(`0,${zeros}1`, GERMAN)).toBe('refused: is too small for a number: it would be 0');
    expect(value(`-0,${zeros}5 €`, GERMAN)).toBe('refused: is too small for a number: it would be 0');
    expect(value(`0.${'0'.repeat(322)}1 %`, US)).toBe('refused: is too small for a number: it would be 0');
    // Below 2.2e-308 a double has fewer digits the smaller it is (subnormal): 1.23456e-321 is held as 1.235e-321.
    expect(value(`0,${'0'.repeat(320)}123456`, GERMAN)).toBe('refused: is too small for a number to hold exactly');
    expect(value(`0,${'0'.repeat(320)}123`, GERMAN)).toBe(1.23e-321);
    // A small number a double holds is kept, and zeros written as zeros are 0.
    expect(value(`0,${'0'.repeat(315)}1`, GERMAN)).toBe(1e-316);
    expect(value(`0,${'0'.repeat(306)}1`, GERMAN)).toBe(1e-307);
    expect(value(`0,${zeros}`, GERMAN)).toBe(0);
    // Exponents are no amounts here, whatever their size.
    expect(value('1e-400', US)).toBe('refused: is not a number');
  });

  it('reads a cell of very many digits in time linear in its length', () => {
    // Zeros between two other digits: stripping trailing zeros with /0+$/ was quadratic (40,000 zeros took a
    // second, 150,000 half a minute, a csv cell of 8 MiB hours, with the run's event loop blocked).
    const zeros = '0'.repeat(150_000);
    const started = performance.now();
    expect(value(`0,1${zeros}1`, GERMAN)).toBe('refused: has more significant digits than a number holds exactly');
    expect(value(`1${zeros}1`, { decimalSeparator: ',' })).toBe('refused: is too large for a number');
    expect(value(`1,${zeros}1`, GERMAN)).toBe('refused: has more significant digits than a number holds exactly');
    expect(value(`1,5${zeros}`, GERMAN)).toBe(1.5);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

const date = (pattern: string, text: string) => {
  const f = compileDateFormat(pattern) as DateFormat;
  const r = parseFormattedDate(text, f);
  return r.ok ? r.value.toISOString() : `refused: ${r.reason}`;
};

describe('dates as people write them (dateFormat)', () => {
  it('reads day-month-year, month/day/year, compact and two-digit-year patterns', () => {
    expect(date('DD.MM.YYYY', '31.12.2026')).toBe('2026-12-31T00:00:00.000Z');
    expect(date('D.M.YYYY', '1.2.2026')).toBe('2026-02-01T00:00:00.000Z');
    expect(date('D.M.YYYY', '01.02.2026')).toBe('2026-02-01T00:00:00.000Z');
    expect(date('MM/DD/YYYY', '12/31/2026')).toBe('2026-12-31T00:00:00.000Z');
    expect(date('YYYYMMDD', '20261231')).toBe('2026-12-31T00:00:00.000Z');
    expect(date('DD-MM-YYYY', ' 31-12-2026 ')).toBe('2026-12-31T00:00:00.000Z');
    expect(date('YYYY-MM-DDTHH:mm', '2026-12-31T10:05')).toBe('2026-12-31T10:05:00.000Z');
    expect(date('DD MM YYYY', '31  12 2026')).toBe('2026-12-31T00:00:00.000Z');
  });

  it('takes two-digit years 00-29 as 2000-2029 and 30-99 as 1930-1999, as Excel does', () => {
    expect(date('D/M/YY', '31/12/26')).toBe('2026-12-31T00:00:00.000Z');
    expect(date('D/M/YY', '1/1/29')).toBe('2029-01-01T00:00:00.000Z');
    expect(date('D/M/YY', '1/1/30')).toBe('1930-01-01T00:00:00.000Z');
    expect(date('D/M/YY', '1/1/00')).toBe('2000-01-01T00:00:00.000Z');
    expect(date('D/M/YY', '1/1/99')).toBe('1999-01-01T00:00:00.000Z');
  });

  it('reads an optional time of day', () => {
    const f = 'DD.MM.YYYY[ HH:mm[:ss]]';
    expect(date(f, '31.12.2026')).toBe('2026-12-31T00:00:00.000Z');
    expect(date(f, '31.12.2026 23:59')).toBe('2026-12-31T23:59:00.000Z');
    expect(date(f, '31.12.2026 23:59:30')).toBe('2026-12-31T23:59:30.000Z');
    expect(date('D.M.YYYY H:mm', '1.2.2026 7:05')).toBe('2026-02-01T07:05:00.000Z');
    expect(date(f, '31.12.2026 23')).toBe('refused: is not written as DD.MM.YYYY[ HH:mm[:ss]]');
  });

  it('refuses dates and times that do not exist instead of rolling them over', () => {
    expect(date('DD.MM.YYYY', '31.02.2026')).toBe('refused: is not a date');
    expect(date('DD.MM.YYYY', '29.02.2025')).toBe('refused: is not a date');
    expect(date('DD.MM.YYYY', '29.02.2024')).toBe('2024-02-29T00:00:00.000Z');
    expect(date('DD.MM.YYYY', '00.12.2026')).toBe('refused: is not a date');
    expect(date('DD.MM.YYYY', '31.13.2026')).toBe('refused: is not a date');
    expect(date('YYYYMMDD', '00000000')).toBe('refused: is not a date');
    expect(date('DD.MM.YYYY HH:mm', '31.12.2026 24:00')).toBe('refused: is not a time of day');
    expect(date('DD.MM.YYYY HH:mm', '31.12.2026 10:60')).toBe('refused: is not a time of day');
    // Years 0-99 are those years, not 1900-1999 (Date.UTC's rule).
    expect(date('DD.MM.YYYY', '01.01.0099')).toBe('0099-01-01T00:00:00.000Z');
    // The year 0000 too, as the csv reader and date(0, 1, 1) have it; SAP's empty date has no month.
    expect(date('DD.MM.YYYY', '31.12.0000')).toBe('0000-12-31T00:00:00.000Z');
    expect(date('YYYYMMDD', '00000101')).toBe('0000-01-01T00:00:00.000Z');
    expect(date('DD.MM.YYYY', '29.02.0000')).toBe('0000-02-29T00:00:00.000Z');
  });

  it('reads a space of the pattern as spaces, no-break (U+00A0) and narrow no-break (U+202F) ones too', () => {
    // ICU's newer locale data writes U+202F between a time and its day period, and some exports before the time.
    for (const sep of [' ', '\u00a0', '\u202f', ' \u202f']) {
      expect(date('DD.MM.YYYY HH:mm', `31.12.2026${sep}10:05`), JSON.stringify(sep)).toBe('2026-12-31T10:05:00.000Z');
      expect(date('DD MM YYYY', `31${sep}12${sep}2026`), JSON.stringify(sep)).toBe('2026-12-31T00:00:00.000Z');
    }
    expect(date('DD.MM.YYYY HH:mm', '31.12.2026\t10:05')).toBe('refused: is not written as DD.MM.YYYY HH:mm');
  });

  it('refuses text not written as the pattern', () => {
    for (const text of ['2026-12-31', '31.12.26', '31/12/2026', '31.12.2026 10:00', '31.12.2026x', '1.2.2026']) {
      expect(date('DD.MM.YYYY', text), text).toBe('refused: is not written as DD.MM.YYYY');
    }
  });

  it('refuses patterns it cannot read, saying why', () => {
    const error = (pattern: string) => (compileDateFormat(pattern) as { error: string }).error;
    expect(error('dd.mm.yyyy')).toBe('has "dd", which is not a field: the day is DD or D');
    expect(error('DD.MM.yyyy')).toBe('has "yyyy", which is not a field: the year is YYYY or YY');
    expect(error('DD.mm.YYYY')).toBe('has mm (minutes) without the hour; the month is MM or M');
    expect(error('DD MMM YYYY')).toBe('has "MMM", which is not a field: the month is MM or M (month names are not supported)');
    expect(error('DD.MM')).toBe('has no year: a date needs YYYY or YY, MM or M, and DD or D');
    expect(error('DD.MM[.YYYY]')).toBe('has the year in an optional part: a date always needs it');
    expect(error('DD.MM.YYYY.DD')).toBe('has the day twice');
    expect(error('DMYYYY')).toBe('needs a separator between "M" and the field before it: a field of 1 or 2 digits (D, M, H) cannot touch another');
    expect(error('DD.MM.YYYY HH')).toBe('needs the minutes beside the hour, in the same optional part: HH:mm');
    expect(error('DD.MM.YYYY HH[:mm]')).toBe('needs the minutes beside the hour, in the same optional part: HH:mm');
    expect(error('DD.MM.YYYY[ ss]')).toBe('has ss (seconds) without the minutes beside them');
    expect(error('DD.MM.YYYY[')).toBe('has a "[" without its "]"');
    expect(error('DD.MM.YYYY]')).toBe('has a "]" without its "["');
    expect(error('DD.MM.YYYY[]')).toBe('has an empty optional part "[]"');
    expect(error('DD_MM_YYYY')).toMatch(/^has "_", which is neither a field nor a separator/);
    expect(compileDateFormat('YYYYMMDD')).toMatchObject({ digitsOnly: 8 });
    expect(compileDateFormat('DD.MM.YYYY[ HH:mm[:ss]]')).toMatchObject({ digitsOnly: null });
  });
});
