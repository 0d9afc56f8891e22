import { describe, expect, it } from 'vitest';
import { compileExpression } from '../src/expr/compile.js';
import { timeOfDay, type Row } from '../src/values.js';

const cols = ['amount', 'qty', 'name', 'when', 'unit price', 'constructor'];
const row: Row = [100, 3, 'Ana', new Date('2024-03-10T00:00:00Z'), 2.5, 'c'];
const ev = (src: string, r: Row = row) => compileExpression(src).bind(cols)(r);

describe('expression language', () => {
  it('does arithmetic with precedence, and empty operands give empty cells', () => {
    expect(ev('amount * 0.2')).toBeCloseTo(20);
    expect(ev('amount + qty * 2')).toBe(106);
    expect(ev('(amount + qty) * 2')).toBe(206);
    expect(ev('2 ** 10')).toBe(1024);
    expect(ev('amount / 0')).toBeNull();
    expect(ev('amount * qty', [null, 3])).toBeNull();
  });

  it('compares type-aware and combines with && || ! and ternaries', () => {
    expect(ev('amount > 50 && name == "Ana"')).toBe(true);
    expect(ev('!(qty >= 3) || false')).toBe(false);
    expect(ev('amount > 150 ? "big" : "small"')).toBe('small');
    expect(ev('when >= "2024-03-01"')).toBe(true);
    expect(ev('name ?? "none"', [1, 1, null])).toBe('none');
  });

  it('compares whole numbers of more than 15 digits held as text by their digits, not as doubles that lost them', () => {
    const ids = (src: string) => ev(src, ['1234567890123456789', 3, '1234567890123456788']);
    // As doubles, both are 1234567890123456768.
    expect(ids('amount == name')).toBe(false);
    expect(ids('amount == "1234567890123456788"')).toBe(false);
    expect(ids('amount == "1234567890123456789"')).toBe(true);
    expect(ids('amount > name && name < amount')).toBe(true);
    expect(ids('max(amount, name)')).toBe('1234567890123456789');
    expect(ids('min(name, amount)')).toBe('1234567890123456788');
    expect(ev('amount < "12345678901234567890"', ['9999999999999999999'])).toBe(true);
    expect(ev('amount == " -1234567890123456789 "', ['-1234567890123456789'])).toBe(true);
    // Against a number, by exact value: the literal 1234567890123456789 is the double 1234567890123456768.
    expect(ids('amount == 1234567890123456789')).toBe(false);
    expect(ids('amount > 1234567890123456789')).toBe(true);
    expect(ev('amount == 1234567890123456768', ['1234567890123456768'])).toBe(true);
    // Ids a double holds whole compare as before.
    expect(ev('amount == 4111111111111111', ['4111111111111111'])).toBe(true);
  });

  it('fails concat and replace with TOO_LARGE past 1 Mi characters, as +, before building the text', () => {
    const big = 'a'.repeat(600_000);
    const cells: Row = [1, 1, big];
    const tooLarge = (what: string) => expect.objectContaining({ code: 'TOO_LARGE', message: `the expression's ${what} builds a text of more than 1048576 characters` });
    // A replacement by the cell itself would be 600,000 squared characters, past V8's longest string.
    expect(() => ev('replace(name, "a", name)', cells)).toThrow(tooLarge('replace()'));
    expect(() => ev('concat(name, name)', cells)).toThrow(tooLarge('concat()'));
    expect(() => ev('name + name', cells)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    // Up to the bound they are whole: no longer cut at 32,767 characters.
    expect(ev('concat(name, "b")', cells)).toBe(`${big}b`);
    expect(ev('replace(name, "a", "bc")', [1, 1, 'a'.repeat(524_288)])).toBe('bc'.repeat(524_288));
    expect(() => ev('replace(name, "a", "bc")', [1, 1, 'a'.repeat(524_289)])).toThrow(tooLarge('replace()'));
    expect(ev('replace(name, "b", "c")', cells)).toBe(big);
    // Small ones as before.
    expect(ev('replace("a-b-c", "-", "+")')).toBe('a+b+c');
    expect(ev('replace("abc", "", "x")')).toBe('abc');
    expect(ev('concat("x", "", 1, null, "y")')).toBe('x1y');
  });

  it('reads columns by identifier or by col() for any name', () => {
    expect(ev('col("unit price") * qty')).toBe(7.5);
    expect(ev('constructor')).toBe('c');
  });

  it('calls whitelisted functions', () => {
    expect(ev('round(2.345, 2)')).toBe(2.35);
    expect(ev('round(-2.5)')).toBe(-3);
  });

  it('rounds prices below a millionth and amounts past 10^21 to their digits, not to 0', () => {
    // String(x) of these has an exponent already (5.1e-7, 1e+21): round() pasted a second one on and got NaN.
    expect(ev('round(0.00000051, 8)')).toBe(5.1e-7);
    expect(ev('round(-0.000000456, 8)')).toBe(-4.6e-7);
    expect(ev('round(0.0000004, 2)')).toBe(0);
    expect(ev('round(1.5e21, 2)')).toBe(1.5e21);
    expect(ev('round(1234.5, -2)')).toBe(1200);
    expect(ev('round(1.005, 2)')).toBe(1.01);
    // From 2^53 on there is no digit to round: the number is returned as it is, not moved or made 0.
    expect(ev('round(1e300, 15)')).toBe(1e300);
    expect(ev('round(-1e300, 2)')).toBe(-1e300);
    expect(ev('round(123456789012345678, 2)')).toBe(123456789012345678);
    // Places left of the point still round it.
    expect(ev('round(12345678901234567890, -10)')).toBe(12345678900000000000);
    expect(ev('round(123456789012345678, -3)')).toBe(123456789012346000);
    expect(ev('round(amount, 0)', [2 ** 53])).toBe(2 ** 53);
    expect(ev('round(amount, 2)', [2 ** 53 - 1])).toBe(2 ** 53 - 1);
    expect(ev('upper(name) + "!"')).toBe('ANA!');
    expect(ev('concat(name, "-", qty)')).toBe('Ana-3');
    expect(ev('year(when) * 100 + month(when)')).toBe(202403);
    expect(ev('format_date(add_days(when, 1))')).toBe('2024-03-11');
    expect(ev('if(is_empty(name), "x", left(name, 2))')).toBe('An');
    expect(ev('matches(name, "^a", "i")')).toBe(true);
    expect(ev('coalesce(null, "", qty)')).toBe(3);
  });

  it('makes date(y, m, d) of the years 0 to 99 in the year given, as date("0099-12-31") reads it', () => {
    const iso = (src: string) => (ev(src) as Date).toISOString();
    expect(iso('date(99, 12, 31)')).toBe('0099-12-31T00:00:00.000Z');
    expect(iso('date(0, 1, 1)')).toBe('0000-01-01T00:00:00.000Z');
    // Date.UTC cuts -0.5 to 0 before it adds 1900.
    expect(iso('date(-0.5, 1, 1)')).toBe('0000-01-01T00:00:00.000Z');
    expect(iso('date("0099-12-31")')).toBe('0099-12-31T00:00:00.000Z');
    expect(ev('year(date(50, 6, 1))')).toBe(50);
    expect(ev('format_date(date(99, 12, 31))')).toBe('0099-12-31');
    // date(year(d), m, d) stays in d's year.
    expect(ev('format_date(date(year(when), 1, 1))', [0, 0, '', new Date('0099-07-04T00:00:00Z')])).toBe('0099-01-01');
    expect(iso('date(2026, 12, 31)')).toBe('2026-12-31T00:00:00.000Z');
  });

  it('rolls date(y, m, d) over into the next or previous month and year, as Excel\'s DATE does', () => {
    const iso = (src: string, r: Row = row) => (ev(src, r) as Date).toISOString().slice(0, 10);
    expect(iso('date(2026, 2, 31)')).toBe('2026-03-03');
    expect(iso('date(2026, 13, 1)')).toBe('2027-01-01');
    expect(iso('date(2026, 0, 1)')).toBe('2025-12-01');
    expect(iso('date(2026, -1, 1)')).toBe('2025-11-01');
    // The month's last day and the first of the next month, December included.
    expect(iso('date(year(when), month(when) + 1, 0)', [0, 0, '', new Date('2024-02-10T00:00:00Z')])).toBe('2024-02-29');
    expect(iso('date(year(when), month(when) + 1, 1)', [0, 0, '', new Date('2026-12-15T00:00:00Z')])).toBe('2027-01-01');
    // Fractions are cut, as Excel does.
    expect(iso('date(2026.7, 2.9, 1.5)')).toBe('2026-02-01');
  });

  it('gives an empty cell for date(y, m, d) outside the years 0 to 9999, as for any value it cannot compute', () => {
    for (const src of ['date(10000, 1, 1)', 'date(9999, 12, 32)', 'date(-1, 1, 1)', 'date(0, 1, 0)', 'date(1e6, 1, 1)', 'date(1e300, 1, 1)', 'date(2026, 1e300, 1)']) {
      expect(ev(src), src).toBeNull();
    }
    expect(ev('format_date(date(1e6, 1, 1))')).toBeNull();
    expect(ev('year(date(1e6, 1, 1))')).toBeNull();
    expect(ev('date("x", 1, 1)')).toBeNull();
    expect((ev('date(9999, 12, 31)') as Date).toISOString()).toBe('9999-12-31T00:00:00.000Z');
  });

  it('gives an empty cell for a date moved or read outside the years 0 to 9999, as date(y, m, d) does', () => {
    const last: Row = [0, 0, '', new Date('9999-12-31T00:00:00Z')];
    const first: Row = [0, 0, '', new Date('0000-01-01T00:00:00Z')];
    for (const src of ['add_days(when, 1)', 'when + 1', '1 + when', 'when - -1', 'when + 1e300', 'add_days(when, 1e300)']) expect(ev(src, last), src).toBeNull();
    for (const src of ['add_days(when, -1)', 'when - 1', 'when + -1e300']) expect(ev(src, first), src).toBeNull();
    // format_date threw "Invalid time value" past JavaScript's range, and wrote +010000-01-01 short of it.
    expect(ev('format_date(when + 1e300)', last)).toBeNull();
    expect(ev('format_date(add_days(when, 1))', last)).toBeNull();
    // A number is read as an Excel serial.
    for (const src of ['date(3e6)', 'format_date(1e300)', 'year(3e6)', 'month(3e6)', 'day(3e6)', 'weekday(3e6)', 'add_days(3e6, 1)', 'days_between(1, 3e6)']) expect(ev(src), src).toBeNull();
    // A time of day wraps around midnight, but not past any number JavaScript holds.
    expect(ev('format_date(when + 1e305)', [0, 0, '', timeOfDay(0.5)])).toBeNull();
    expect(ev('format_date(add_days(when, -1))', last)).toBe('9999-12-30');
    expect(ev('format_date(when + 0.5)', first)).toBe('0000-01-01 12:00:00');
  });

  it('handles unicode text', () => {
    expect(ev('len(name)', [0, 0, '東京🚀'])).toBe(4);
    expect(ev('upper(name)', [0, 0, 'zürich'])).toBe('ZÜRICH');
  });

  it('refuses member access, this, arrays, unknown functions and bitwise operators', () => {
    for (const src of ['name.constructor', 'name["length"]', 'this', '[1,2]', 'eval("1")', 'process.exit()', 'amount | 1', 'a = 1', 'x => 1', 'constructor.constructor("return process")()']) {
      expect(() => compileExpression(src), src).toThrowError(expect.objectContaining({ code: 'BAD_EXPRESSION' }));
    }
  });

  it('bounds the size of an expression', () => {
    expect(() => compileExpression('1+'.repeat(3000) + '1')).toThrowError(expect.objectContaining({ code: 'BAD_EXPRESSION' }));
    expect(() => compileExpression('a' + '+a'.repeat(600))).toThrowError(/more than 500 parts/);
  });

  it('runs patterns in linear time, so a catastrophic pattern is harmless', () => {
    const f = compileExpression('matches(name, "^(a+)+$")').bind(cols);
    const t0 = Date.now();
    expect(f([0, 0, 'a'.repeat(5000) + '!'])).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('reports a missing column when bound', () => {
    expect(() => compileExpression('price * 2').bind(cols)).toThrowError(expect.objectContaining({ code: 'MISSING_COLUMN' }));
  });
});
