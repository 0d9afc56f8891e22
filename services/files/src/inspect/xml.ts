import { Rejection } from './rejection.js';

/**
 * Just enough XML for the few workbook parts inspection reads. Not a general parser: these parts are
 * machine-written, flat, and any document type declaration (the door to entity bombs and external
 * entities) is refused before anything else looks at them.
 */
export function assertNoDoctype(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new Rejection('This workbook contains an XML document type declaration, which workbooks never need, so it was not opened');
  }
}

export type XmlElement = { attrs: Map<string, string>; body: string | null; end: number };

const PREFIX = '(?:[A-Za-z_][\\w.-]{0,30}:)?';
const ATTRS = '((?:[^>"\']|"[^"]*"|\'[^\']*\')*)';

/** The elements named `local` (any namespace prefix) in document order; `body` is null when self-closing. */
export function* elements(xml: string, local: string, from = 0): Generator<XmlElement> {
  const open = new RegExp(`<(${PREFIX})${local}(?=[\\s/>])${ATTRS}>`, 'g');
  open.lastIndex = from;
  for (let m = open.exec(xml); m; m = open.exec(xml)) {
    const rawAttrs = m[2] ?? '';
    const start = m.index + m[0].length;
    if (rawAttrs.endsWith('/')) {
      yield { attrs: attributes(rawAttrs), body: null, end: start };
      continue;
    }
    const close = `</${m[1] ?? ''}${local}>`;
    const stop = xml.indexOf(close, start);
    if (stop < 0) return;
    yield { attrs: attributes(rawAttrs), body: xml.slice(start, stop), end: stop + close.length };
    open.lastIndex = stop + close.length;
  }
}

export const firstElement = (xml: string, local: string): XmlElement | undefined => elements(xml, local).next().value ?? undefined;

/** Attributes by qualified name, with the local name added too when it is free (`r:id` is also `id`). */
export function attributes(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of raw.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const value = decodeReferences(m[2] ?? m[3] ?? '');
    out.set(m[1]!, value);
    const local = m[1]!.split(':').pop()!;
    if (!out.has(local)) out.set(local, value);
  }
  return out;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * XML character references only: an attribute's value as the engine reads it (packages/engine, xml.ts). A sheet's
 * name is one, and the steps of a run must name it as the engine sees it: `_xHHHH_` in it is its own text there.
 */
export function decodeReferences(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

/** XML character references, then OOXML's `_xHHHH_` escapes for characters XML cannot carry (a cell's text). */
export function decodeXml(text: string): string {
  return decodeReferences(text).replace(/_x([0-9a-f]{4})_/gi, (_w, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The text runs (`<t>`) of a string item or inline string, without phonetic guides (`<rPh>`). */
export function textOf(body: string): string {
  const withoutPhonetics = body.replace(new RegExp(`<(${PREFIX})rPh\\b[\\s\\S]*?</\\1rPh>`, 'g'), '');
  let text = '';
  for (const t of elements(withoutPhonetics, 't')) text += decodeXml(t.body ?? '');
  return text;
}
