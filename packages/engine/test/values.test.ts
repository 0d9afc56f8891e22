import { describe, expect, it } from 'vitest';
import { addDays, compareValues, isTimeOfDay, timeOfDay, dateToSerial, joinKey, parseIsoDate, parseNumber, serialToDate, toText, valueKey } from '../src/values.js';

describe('Excel serial dates', () => {
  it('maps modern serials to their dates and back', () => {
    expect(serialToDate(45292)!.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(dateToSerial(new Date('2024-01-01T00:00:00Z'))).toBe(45292);
    expect(serialToDate(45292.5)!.toISOString()).toBe('2024-01-01T12:00:00.000Z');
  });

  it('keeps the 1900 leap-year bug: serials before 61 are shifted, 60 is the phantom 29 February', () => {
    expect(serialToDate(1)!.toISOString().slice(0, 10)).toBe('1900-01-01');
    expect(serialToDate(59)!.toISOString().slice(0, 10)).toBe('1900-02-28');
    expect(serialToDate(60)!.toISOString().slice(0, 10)).toBe('1900-02-28');
    expect(serialToDate(61)!.toISOString().slice(0, 10)).toBe('1900-03-01');
    expect(dateToSerial(new Date('1900-02-28T00:00:00Z'))).toBe(59);
    expect(dateToSerial(new Date('1900-03-01T00:00:00Z'))).toBe(61);
    expect(dateToSerial(new Date('1900-01-01T00:00:00Z'))).toBe(1);
  });

  it('has no serial for a date before 1899-12-30, but one for a time of day and for the days of serials 0 to 1 (durations)', () => {
    for (const iso of ['1899-12-29T23:59:59.999Z', '1899-12-29T00:00:00Z', '1850-06-15T00:00:00Z', '0000-01-01T00:00:00Z']) expect(dateToSerial(new Date(iso)), iso).toBeNull();
    // Nor for 1899-12-30 at a time: serials in (0, 1) are 1899-12-31 (Excel's 1900-01-00), a day later.
    for (const iso of ['1899-12-30T00:00:00.001Z', '1899-12-30T09:30:00Z', '1899-12-30T23:59:59.999Z']) expect(dateToSerial(new Date(iso)), iso).toBeNull();
    expect(dateToSerial(new Date('1899-12-30T00:00:00Z'))).toBe(0);
    // What the reader makes of serials in [0, 1) (an elapsed-time cell under a day, a zero duration) goes back to them.
    for (const serial of [0, 0.3125, 0.5, 0.999]) expect(dateToSerial(serialToDate(serial)!), String(serial)).toBeCloseTo(serial, 9);
    expect(dateToSerial(timeOfDay(0.75))).toBe(0.75);
    expect(dateToSerial(timeOfDay(0))).toBe(0);
  });

  it('reads the 1904 date system', () => {
    expect(serialToDate(0, true)!.toISOString().slice(0, 10)).toBe('1904-01-01');
  });

  it('gives no date for a serial outside the years 0 to 9999, in either system', () => {
    expect(serialToDate(2958465.5)!.toISOString()).toBe('9999-12-31T12:00:00.000Z');
    expect(serialToDate(2958466)).toBeNull();
    expect(serialToDate(2957004, true)).toBeNull();
    expect(serialToDate(-693959)!.toISOString()).toBe('0000-01-01T00:00:00.000Z');
    expect(serialToDate(-693960)).toBeNull();
    expect(serialToDate(1e300)).toBeNull();
  });
});

describe('parsing', () => {
  it('reads plain decimal numbers only, keeping leading-zero ids as text', () => {
    expect(parseNumber('12.5')).toBe(12.5);
    expect(parseNumber('-3e2')).toBe(-300);
    expect(parseNumber('0012')).toBeNull();
    expect(parseNumber('0x10')).toBeNull();
    expect(parseNumber('1,000')).toBeNull();
    expect(parseNumber('Infinity')).toBeNull();
  });

  it('reads ISO dates and refuses impossible ones', () => {
    expect(parseIsoDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseIsoDate('2024-02-30')).toBeNull();
    // Not carried over into the next hour or day.
    expect(parseIsoDate('2024-01-05 10:60')).toBeNull();
    expect(parseIsoDate('2024-01-05 10:59:60')).toBeNull();
    expect(parseIsoDate('2024-01-05 24:00')).toBeNull();
    expect(parseIsoDate('2024-01-05 23:59:59')?.toISOString()).toBe('2024-01-05T23:59:59.000Z');
    expect(parseIsoDate('2024-01-05 13:45:10')?.toISOString()).toBe('2024-01-05T13:45:10.000Z');
  });

  it('reads a year of 0000 to 0099 as the year written, not as 1900 to 1999', () => {
    expect(parseIsoDate('0099-12-31')?.toISOString()).toBe('0099-12-31T00:00:00.000Z');
    expect(parseIsoDate('0001-01-01 10:30')?.toISOString()).toBe('0001-01-01T10:30:00.000Z');
    // ISO 8601's year 0000 (1 BC), as the xlsx reader reads a date cell of it.
    expect(parseIsoDate('0000-01-01')?.toISOString()).toBe('0000-01-01T00:00:00.000Z');
    // Leap years of the proleptic Gregorian calendar: 4 is one, 1 is not (as 1900 is not).
    expect(parseIsoDate('0004-02-29')?.toISOString()).toBe('0004-02-29T00:00:00.000Z');
    expect(parseIsoDate('0001-02-29')).toBeNull();
    expect(parseIsoDate('0100-03-01')?.toISOString()).toBe('0100-03-01T00:00:00.000Z');
  });
});

describe('comparison and keys', () => {
  it('orders mixed types numbers, dates, text, booleans', () => {
    const vals = [true, 'b', new Date(0), 2, 'a', 1];
    expect([...vals].sort((a, b) => compareValues(a, b))).toEqual([1, 2, new Date(0), 'a', 'b', true]);
  });

  it('keeps types apart in group keys but lets numbers meet numeric text in join keys', () => {
    expect(valueKey(42)).not.toBe(valueKey('42'));
    expect(joinKey(42)).toBe(joinKey('42'));
    expect(valueKey('ABC', true)).toBe(valueKey('abc', true));
  });

  it('lets a long id in text meet a number only while a double holds its every digit', () => {
    expect(joinKey('4111111111111111')).toBe(joinKey(4111111111111111));
    expect(joinKey('1234567890123456789')).not.toBe(joinKey('1234567890123456788'));
    expect(joinKey('9007199254740993')).not.toBe(joinKey(9007199254740992));
  });

  it('formats dates as ISO text', () => {
    expect(toText(new Date('2024-01-05T00:00:00Z'))).toBe('2024-01-05');
    expect(toText(new Date('2024-01-05T10:20:30Z'))).toBe('2024-01-05 10:20:30');
  });
});

describe('a time of day moved by a duration', () => {
  it('wraps around midnight within its day, and half a millisecond before midnight is midnight of that day', () => {
    const at = (d: Date | null) => [isTimeOfDay(d!), toText(d)];
    expect(at(addDays(timeOfDay(22 / 24), 4 / 24))).toEqual([true, '02:00:00']);
    expect(at(addDays(timeOfDay(1 / 24), -2 / 24))).toEqual([true, '23:00:00']);
    expect(at(addDays(timeOfDay(9.5 / 24), 3))).toEqual([true, '09:30:00']);
    const nearlyMidnight = addDays(timeOfDay(0), -0.5 / 86_400_000);
    expect(nearlyMidnight!.getTime()).toBe(timeOfDay(0).getTime());
    // Any other date moves on the calendar.
    expect(toText(addDays(new Date('2024-01-05T22:00:00Z'), 4 / 24))).toBe('2024-01-06 02:00:00');
  });

  it('is no time when moved past any number JavaScript holds, and a date none past the years 0 to 9999', () => {
    expect(addDays(timeOfDay(0.5), 1e305)).toBeNull();
    expect(addDays(new Date('9999-12-31T00:00:00Z'), 1)).toBeNull();
    expect(addDays(new Date('0000-01-01T00:00:00Z'), -1 / 24)).toBeNull();
  });
});
