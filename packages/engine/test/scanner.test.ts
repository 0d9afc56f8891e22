import { describe, expect, it } from 'vitest';
import { parseDecimal, SheetScanner } from '../src/io/xlsx-sheet-scanner.js';
import type { Value } from '../src/values.js';

describe('parseDecimal', () => {
  it('gives exactly what Number() gives, for random decimals and edge cases', () => {
    const samples = ['0', '-0', '1', '-1', '0.1', '0.30000000000000004', '123.45', '999999999999999', '1234567890123456789', '1e21', '1.5E-7', '.5', '-.25', '5.', '', 'abc', '12a'];
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20000; i++) samples.push((rnd() * 10 ** Math.floor(rnd() * 12)).toFixed(Math.floor(rnd() * 8)));
    for (const s of samples) {
      const x = `<v>${s}</v>`;
      expect(Object.is(parseDecimal(x, 3, 3 + s.length), +s) || (Number.isNaN(+s) && Number.isNaN(parseDecimal(x, 3, 3 + s.length))), s).toBe(true);
    }
  });
});

describe('SheetScanner', () => {
  it('decodes entities in inline strings and keeps rich inline runs', () => {
    const rows: Value[][] = [];
    const scanner = new SheetScanner('', { sst: [], dateStyles: new Uint8Array(0), date1904: false }, (_, c) => rows.push(c));
    scanner.scan('<row r="1"><c r="A1" t="inlineStr"><is><t>a &amp; b &#169;</t></is></c><c r="C1" t="inlineStr"><is><r><t xml:space="preserve">x </t></r><r><t>y</t></r></is></c><c r="D1"><v>-12.5</v></c></row>');
    expect(rows).toEqual([['a & b ©', null, 'x y', -12.5]]);
  });
});
