import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countRowStarts, scanSheet } from '../../src/inspect/xlsx-sheet.js';

/** What a row start tag is, said as a regex: the reference the byte scanner must agree with. */
const REFERENCE = /<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]/g;
const byRegex = (xml: string) => [...xml.matchAll(REFERENCE)].length;

const TRICKY = [
  '<row r="1"><c><v>1</v></c></row>', '<row/>', '<row>', '<row\n r="2">', '<x:row r="3">', '<x.y-z_1:row>',
  '</row>', '<rows>', '<rowBreaks>', 'row', ' row ', '<c><is><t>a row of rows</t></is></c>', ':row>', '<1:row>',
  `<${'p'.repeat(31)}:row>`, `<${'p'.repeat(32)}:row>`, '<:row>', '<x:rows>', '<row\t>',
];

describe('counting rows on bytes', () => {
  it('agrees with the reference pattern on tags, prefixes, near misses and text', () => {
    for (const piece of TRICKY) expect([piece, countRowStarts(Buffer.from(piece), 0)]).toEqual([piece, byRegex(piece)]);
    const all = TRICKY.join('');
    expect(countRowStarts(Buffer.from(all), 0)).toBe(byRegex(all));
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
