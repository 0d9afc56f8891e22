import { describe, expect, it } from 'vitest';
import { cleanFileName, uploadName } from '../../src/domain/file-names.js';

describe('file names', () => {
  it('accepts .xlsx and .csv in any case and keeps the name as typed', () => {
    expect(uploadName(' Q1 Sales.XLSX ')).toEqual({ name: 'Q1 Sales.XLSX', format: 'xlsx' });
    expect(uploadName('données.csv')).toEqual({ name: 'données.csv', format: 'csv' });
  });

  it('replaces controls, bidi overrides and path separators so they show instead of act', () => {
    expect(cleanFileName('../../etc/passwd.csv')).toBe('.._.._etc_passwd.csv');
    expect(cleanFileName('invoice\u202excsv.exe')).toBe('invoice_xcsv.exe');
    expect(cleanFileName('a\u0000b.csv')).toBe('a_b.csv');
  });

  it('refuses other extensions, empty names and names over 255 characters', () => {
    expect(() => uploadName('x.xls')).toThrow(/Only Excel workbooks/);
    expect(() => uploadName('.csv')).toThrow(/Only Excel workbooks/);
    expect(() => uploadName('\u0000')).toThrow(/empty/);
    expect(() => uploadName(`${'a'.repeat(252)}.csv`)).toThrow(/longer than 255/);
  });
});
