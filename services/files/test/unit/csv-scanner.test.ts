import { describe, expect, it } from 'vitest';
import { csvCellType } from '../../src/inspect/column-types.js';
import { CsvScanner, type CsvLimits } from '../../src/inspect/csv.js';

/** Feeds `text` in chunks of `size` bytes, so quotes, CRLF and multi-byte characters straddle chunk borders. */
function scan(text: string | Buffer, size = 3, limits: CsvLimits = { sampleRows: 2, maxColumns: 3, maxCellChars: 5, maxHeadChars: 1024, maxRowFields: 100, maxRowBytes: 1024 }) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const scanner = new CsvScanner(limits);
  for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
  return scanner.finish();
}

describe('CsvScanner', () => {
  it('reads quoted delimiters, doubled quotes and newlines inside quotes as cell text', () => {
    expect(scan('"a,1","b""2"\r\n"x\ny",3\r\n')).toMatchObject({
      text: true, rowCount: 1, columns: [{ name: 'a,1', type: 'TEXT' }, { name: 'b"2', type: 'NUMBER' }],
    });
  });

  it('says whether the text ends inside a quoted field, in the sample or past it', () => {
    expect(scan('a,b\n1,2,3,4\n5\n"unterminated,6\n')).toMatchObject({ text: true, unclosedQuote: true });
    expect(scan(`a\n${'1\n'.repeat(5)}x"y\n"open`)).toMatchObject({ unclosedQuote: true });
    expect(scan('a\n"closed\nlater",x""y\n')).toMatchObject({ unclosedQuote: false });
  });

  it('counts rows past the sample, skips blank lines, and needs no final newline', () => {
    expect(scan('h\n1\n\n2\r\n3\r4')).toMatchObject({ rowCount: 4, columns: [{ name: 'h', type: 'NUMBER' }] });
  });

  it('takes a line of delimiters or empty quoted fields for no row, in the sample and past it, and never for the header', () => {
    expect(scan(',,\n"",""\nh,i\n1,2\n,\n3,4\n"",\n5,6\n,,,\n7,8\n ,\n')).toMatchObject({
      rowCount: 5, columns: [{ name: 'h', type: 'NUMBER' }, { name: 'i', type: 'NUMBER' }],
    });
  });

  it('drops a UTF-8 byte order mark and keeps multi-byte characters split across chunks', () => {
    expect(scan('\ufeffMärz,€\n1,2\n', 1)).toMatchObject({ columns: [{ name: 'März' }, { name: '€' }] });
  });

  it('bounds what it keeps: columns past maxColumns and characters past maxCellChars', () => {
    expect(scan('abcdefgh,b,c,d,e\n1,2,3,4,5\n')).toMatchObject({ columns: [{ name: 'abcde' }, { name: 'b' }, { name: 'c' }] });
  });

  it('types columns from the sampled rows: mixed cells make MIXED, empty ones do not count', () => {
    const wide = { sampleRows: 10, maxColumns: 10, maxCellChars: 100, maxHeadChars: 1024, maxRowFields: 100, maxRowBytes: 1024 };
    expect(scan('a,b,c,d,e\n1,true,2026-01-02,,1.5e3\nx,FALSE,2026-01-03T10:00:00Z,,-.5\n', 3, wide)).toMatchObject({
      columns: [{ type: 'MIXED' }, { type: 'BOOLEAN' }, { type: 'DATE' }, { type: 'EMPTY' }, { type: 'NUMBER' }],
    });
    expect(scan('zip,day\n01234,2026-02-30\n', 3, wide)).toMatchObject({ columns: [{ type: 'TEXT' }, { type: 'TEXT' }] });
    expect(scan('n,d,b,t\n 42, 2026-01-02,true\t, \n19.99 ,2026-01-03 , FALSE,x\n', 3, wide)).toMatchObject({ columns: [{ type: 'NUMBER' }, { type: 'DATE' }, { type: 'BOOLEAN' }, { type: 'TEXT' }] });
    // As the engine reads them: an unsigned whole number of more than 15 digits is an id (a card or order
    // number), not a number; a signed one is a number.
    expect(scan('card,n,signed\n4111111111111111,123456789012345,-1234567890123456789\n01234567890123456789,1e300,+1234567890123456789\n', 3, wide)).toMatchObject({ columns: [{ type: 'TEXT' }, { type: 'NUMBER' }, { type: 'NUMBER' }] });
  });

  it('types a cell of a long run of blanks between spaces in one pass, as the engine reads it', () => {
    // The regex trim this replaced was quadratic on the blanks (43 s for 200,000 in the engine). The scanner keeps
    // at most maxCellChars of a cell, which bounded it here; csvCellType itself is held to the engine's rule.
    expect(csvCellType(' a' + ' '.repeat(400_000) + 'b')).toBe('TEXT');
    expect(csvCellType('\t7' + ' '.repeat(400_000))).toBe('NUMBER');
  });

  it('picks the delimiter the first line uses most', () => {
    expect(scan('a;b;c\n1;2;3\n')).toMatchObject({ delimiter: ';', columns: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] });
    expect(scan('a\tb\n1\t2\n')).toMatchObject({ delimiter: '\t' });
  });

  it('says why bytes are not csv text: NUL bytes, or invalid UTF-8', () => {
    expect(scan(Buffer.from([0x61, 0x00, 0x62]))).toEqual({ text: false, problem: 'nul' });
    expect(scan(Buffer.from([0x61, 0xe9, 0x0a]))).toEqual({ text: false, problem: 'encoding' });
    expect(scan(Buffer.from([0x61, 0xc3]))).toEqual({ text: false, problem: 'encoding' });
  });

  it('says when a row, in the sample or past it, has more fields or bytes than the row limits', () => {
    const rows = { sampleRows: 1, maxColumns: 3, maxCellChars: 5, maxHeadChars: 1024, maxRowFields: 4, maxRowBytes: 12 };
    for (const size of [1, 3, 64]) {
      expect(scan('a,b\n1,2,3,4\n', size, rows)).toMatchObject({ oversizedRow: null });
      expect(scan('a,b\n1,2,3,4,5\n', size, rows)).toMatchObject({ oversizedRow: 'fields' });
      expect(scan('a,b\n1\n2\n,,,,\n', size, rows)).toMatchObject({ oversizedRow: 'fields' });
      // A quoted delimiter is text, not a field.
      expect(scan('a,b\n1\n"2,,,,,",3\n', size, rows)).toMatchObject({ oversizedRow: null });
      expect(scan('a,b\n1\n123456789012\n', size, rows)).toMatchObject({ oversizedRow: null });
      expect(scan('a,b\n1\n1234567890123\n', size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      expect(scan('a,b\n1234567890123\n', size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      // The LF of a CRLF belongs to no row: a row of exactly the limit passes with CRLF as with LF.
      expect(scan('a,b\r\n1\r\n123456789012\r\n', size, rows)).toMatchObject({ oversizedRow: null });
      expect(scan('a,b\r\n123456789012\r\n1\r\n', size, rows)).toMatchObject({ oversizedRow: null });
      expect(scan('a,b\r\n1\r\n1234567890123\r\n', size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      // A quoted newline does not end the row; a file's last row needs no newline to be measured.
      expect(scan('a,b\n1\n"12345\n7890",23\n', size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      expect(scan('a,b\n1\n1234567890123', size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      // Bytes, not characters: `ééééé,x` is 12 bytes, `éééééé,x` 14.
      for (const head of ['a,b\n', 'a,b\n1\n']) {
        expect(scan(`${head}ééééé,x\n`, size, rows)).toMatchObject({ oversizedRow: null });
        expect(scan(`${head}éééééé,x\n`, size, rows)).toMatchObject({ oversizedRow: 'bytes' });
      }
    }
  });
});
