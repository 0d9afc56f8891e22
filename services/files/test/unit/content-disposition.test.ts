import { describe, expect, it } from 'vitest';
import { asciiFallback, contentDisposition } from '../../src/http/content-disposition.js';

describe('contentDisposition', () => {
  it('cannot be broken out of by quotes, backslashes, CR or LF in a name', () => {
    const header = contentDisposition('a"b\\c\r\nSet-Cookie: x=y.xlsx');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toBe(`attachment; filename="a_b_c__Set-Cookie: x=y.xlsx"; filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3Dy.xlsx`);
  });

  it('percent-encodes the characters RFC 8187 does not allow bare', () => {
    expect(contentDisposition("it's (big)*.csv")).toBe(`attachment; filename="it's (big)*.csv"; filename*=UTF-8''it%27s%20%28big%29%2A.csv`);
  });

  it('falls back to "download" when nothing ASCII is left of a name', () => {
    expect(asciiFallback('報告.')).toBe('download');
    expect(asciiFallback('報告.xlsx')).toBe('__.xlsx');
    expect(asciiFallback('100%.csv')).toBe('100_.csv');
  });
});
