import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RowCounter, scanSheet } from '../../src/inspect/xlsx-sheet.js';

/** What a row start tag is, said as a regex: the reference the byte scanner must agree with. */
const REFERENCE = /<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]/g;
const byRegex = (xml: string) => [...xml.matchAll(REFERENCE)].length;

const TRICKY = [
  '<row r="1"><c><v>1</v></c></row>', '<row/>', '<row>', '<row\n r="2">', '<x:row r="3">', '<x.y-z_1:row>',
  '</row>', '<rows>', '<rowBreaks>', 'row', ' row ', '<c><is><t>a row of rows</t></is></c>', ':row>', '<1:row>',
  `<${'p'.repeat(31)}:row>`, `<${'p'.repeat(32)}:row>`, '<:row>', '<x:rows>', '<row\t>',
];

const countRows = (xml: string) => { const c = new RowCounter(); c.push(Buffer.from(xml)); return c.rows; };

describe('counting rows on bytes', () => {
  it('agrees with the reference pattern on tags, prefixes, near misses and text', () => {
    for (const piece of TRICKY) expect([piece, countRows(piece)]).toEqual([piece, byRegex(piece)]);
    const all = TRICKY.join('');
    expect(countRows(all)).toBe(byRegex(all));
  });

  it('counts a tag split across chunks exactly once, wherever the split falls', async () => {
    const xml = `<sheetData>${TRICKY.join('')}${'<row r="9"><c r="A9"><v>9</v></c></row>'.repeat(50)}</sheetData>`;
    for (let size = 1; size <= 13; size++) {
      const chunks = Array.from({ length: Math.ceil(xml.length / size) }, (_, i) => Buffer.from(xml.slice(i * size, (i + 1) * size)));
      const scan = await scanSheet(Readable.from(chunks), { maxHeadBytes: 64, deadline: Date.now() + 60_000 });
      expect(scan.rows).toBe(byRegex(xml));
    }
  });
});

describe('counting rows that hold a value', () => {
  // Each row is [xml, holds a value]: what the engine's reader makes of it (a row with no value is no row).
  const ROWS: Array<[string, boolean]> = [
    ['<row r="1"><c r="A1" t="s"><v>0</v></c></row>', true],
    ['<row r="2" ht="30" customHeight="1"/>', false],
    ['<row r="3" s="4" customFormat="1"><c r="A3" s="4"/><c r="B3" s="4"/></row>', false],
    ['<row r="4"><c r="A4" s="1"/><c r="B4"><v>4</v></c></row>', true],
    ['<row r="5"><c r="A5" t="str"><v></v></c></row>', false],
    ['<row r="6"><c r="A6" t="inlineStr"><is><t/></is></c></row>', false],
    ['<row r="7"><c r="A7" t="inlineStr"><is><t xml:space="preserve"> x</t></is></c></row>', true],
    ['<x:row r="8"><x:c r="A8"><x:v>8</x:v></x:c></x:row>', true],
    ['<row r="9"><c r="A9"><f>B9*2</f></c></row>', false],
    ['<row r="10"><c r="A10" t="inlineStr"><is><r><rPr><b/></rPr><t>bold</t></r></is></c></row>', true],
    ['<row r="11"></row>', false],
    ['<row r="12"><c r="A12"><v>1</v></c><c r="B12"><v>2</v></c></row>', true],
  ];
  const xml = `<worksheet><sheetData>${ROWS.map(([r]) => r).join('')}</sheetData><headerFooter><oddHeader>&amp;Ct</oddHeader></headerFooter></worksheet>`;

  it('counts every row element, and apart the rows a run reads, wherever the chunks split', async () => {
    for (let size = 1; size <= 17; size++) {
      const chunks = Array.from({ length: Math.ceil(xml.length / size) }, (_, i) => Buffer.from(xml.slice(i * size, (i + 1) * size)));
      const scan = await scanSheet(Readable.from(chunks), { maxHeadBytes: 64, deadline: Date.now() + 60_000 });
      expect([size, scan.rows, scan.valueRows]).toEqual([size, ROWS.length, ROWS.filter(([, v]) => v).length]);
    }
  });

  it('takes a value tag that runs on past its bound for no value, and keeps nothing of it', () => {
    const counter = new RowCounter();
    counter.push(Buffer.from(`<row r="1"><c r="A1"><v a="${'x'.repeat(5000)}">1</v></c></row><row r="2"><c><v>2</v></c></row>`));
    expect([counter.rows, counter.valueRows]).toEqual([2, 1]);
  });
});
