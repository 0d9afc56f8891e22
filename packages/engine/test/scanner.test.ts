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
    const scanner = new SheetScanner('', { sst: [], dateStyles: new Uint8Array(0), date1904: false }, (c) => rows.push(c));
    scanner.scan('<row r="1"><c r="A1" t="inlineStr"><is><t>a &amp; b &#169;</t></is></c><c r="C1" t="inlineStr"><is><r><t xml:space="preserve">x </t></r><r><t>y</t></r></is></c><c r="D1"><v>-12.5</v></c></row>');
    expect(rows).toEqual([['a & b ©', null, 'x y', -12.5]]);
  });
});

describe('XmlChunker', () => {
  it('gives the same rows whatever the chunking, multi-byte characters split included', async () => {
    const { XmlChunker, rootPrefix } = await import('../src/io/xml-chunks.js');
    const body = Array.from({ length: 300 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="inlineStr"><is><t>東京🚀 ${i}</t></is></c><c r="B${i + 1}"><v>${i}.5</v></c></row>`).join('');
    const xml = Buffer.from(`<?xml version="1.0"?><worksheet xmlns="x"><sheetData>${body}</sheetData></worksheet>`, 'utf8');
    const read = (sizes: () => number) => {
      const rows: Value[][] = [];
      let scanner: SheetScanner | null = null;
      const chunker = new XmlChunker(
        () => scanner?.rowClose ?? '</row>',
        (head) => (scanner = new SheetScanner(rootPrefix(head, 'worksheet'), { sst: [], dateStyles: new Uint8Array(0), date1904: false }, (c) => rows.push(c))),
        (piece) => scanner!.scan(piece),
      );
      for (let at = 0; at < xml.length; ) {
        const n = Math.max(1, sizes());
        chunker.push(xml.subarray(at, at + n));
        at += n;
      }
      chunker.finish();
      return rows;
    };
    const whole = read(() => xml.length);
    expect(whole).toHaveLength(300);
    expect(whole[299]).toEqual(['東京🚀 299', 299.5]);
    let seed = 3;
    expect(read(() => ((seed = (seed * 69069 + 1) % 4096), seed % 97))).toEqual(whole);
    expect(read(() => 1)).toEqual(whole);
  });
});
