import type { MemoryBudget } from '../flow/budget.js';
import { decodeCellText, refuseDoctype } from './xml.js';
import { XmlChunker, rootPrefix } from './xml-chunks.js';
import type { ZipInput } from './zip-input.js';

/**
 * Reads the shared-strings table (every text cell of an xlsx points into it). It is held whole, as the
 * cells refer to it at random, and counts against the run's memory bound.
 */
export async function readSharedStrings(zip: ZipInput, part: string, budget: MemoryBudget): Promise<string[]> {
  const out: string[] = [];
  let p = '';
  const chunker = new XmlChunker(
    () => `</${p}si>`,
    (head) => {
      refuseDoctype(head, part);
      p = rootPrefix(head, 'sst');
    },
    (xml) => {
      const before = out.length;
      scanItems(xml, p, out);
      let b = 0;
      for (let i = before; i < out.length; i++) b += 16 + out[i]!.length * 2;
      budget.reserve(0, b, 'the shared strings of the workbook');
    },
  );
  const stream = await zip.open(part);
  for await (const chunk of stream) chunker.push(chunk as Buffer);
  chunker.finish();
  return out;
}

function scanItems(xml: string, p: string, out: string[]): void {
  const open = `<${p}si`;
  const close = `</${p}si>`;
  let pos = 0;
  for (;;) {
    const s = xml.indexOf(open, pos);
    if (s < 0) return;
    const after = xml.charCodeAt(s + open.length);
    const tagEnd = xml.indexOf('>', s);
    if (tagEnd < 0) return;
    if (after !== 62 /* > */ && after !== 32 && after !== 47 /* / */) {
      pos = s + open.length;
      continue;
    }
    if (xml.charCodeAt(tagEnd - 1) === 47) {
      out.push('');
      pos = tagEnd + 1;
      continue;
    }
    const e = xml.indexOf(close, tagEnd);
    if (e < 0) return;
    out.push(itemText(xml.slice(tagEnd + 1, e), p));
    pos = e + close.length;
  }
}

/** The text of one string item: its <t> runs, without phonetic (rPh) runs. */
export function itemText(content: string, p: string): string {
  if (content.indexOf(`<${p}rPh`) >= 0) content = content.replace(new RegExp(`<${p}rPh[\\s\\S]*?</${p}rPh>`, 'g'), '');
  return collectT(content, `<${p}t`, `</${p}t>`);
}

export function collectT(content: string, open: string, close: string): string {
  let text = '';
  let pos = 0;
  for (;;) {
    const s = content.indexOf(open, pos);
    if (s < 0) break;
    const c = content.charCodeAt(s + open.length);
    const tagEnd = content.indexOf('>', s);
    if (tagEnd < 0) break;
    if (c !== 62 && c !== 32 && c !== 47) {
      pos = s + open.length;
      continue;
    }
    if (content.charCodeAt(tagEnd - 1) === 47) {
      pos = tagEnd + 1;
      continue;
    }
    const e = content.indexOf(close, tagEnd);
    if (e < 0) break;
    text += content.slice(tagEnd + 1, e);
    pos = e + close.length;
  }
  return decodeCellText(text);
}
