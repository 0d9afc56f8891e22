/**
 * XML text helpers for the hand-written xlsx scanner. Only the five predefined entities and character
 * references are decoded; a document type declaration is refused outright (see refuseDoctype), so an entity
 * defined by a DTD (the "billion laughs" bomb) is never expanded: it would stay literal text.
 */
import { EngineError } from '../errors.js';

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXml(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (m, e: string) => {
    if (e.charCodeAt(0) !== 35) return NAMED[e] ?? m;
    const code = e.charCodeAt(1) === 120 ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/**
 * The text of a cell: XML references decoded, then the `_xHHHH_` escapes of OOXML strings (ST_Xstring) for
 * characters XML cannot carry or would normalise away. Excel writes a carriage return in a cell (text pasted
 * from a Windows system, an address with CRLF) as `_x000D_`, and a literal `_x` as `_x005F_x`.
 */
export function decodeCellText(s: string): string {
  const d = decodeXml(s);
  return d.indexOf('_x') < 0 ? d : d.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function refuseDoctype(head: string, part: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(head)) {
    throw new EngineError('UNSUPPORTED_FILE', `${part} declares a document type; xlsx parts never do, and DTD entities are not expanded`);
  }
}

/** Attributes of one start tag, e.g. `<sheet name="A" r:id="rId1"/>`, with values decoded. */
export function parseAttributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(tag)) !== null) out.set(m[1]!, decodeXml(m[2] ?? m[3] ?? ''));
  return out;
}

/** The attribute whose local name (after any namespace prefix) is `local`. */
export function attrByLocalName(attrs: Map<string, string>, local: string): string | undefined {
  for (const [k, v] of attrs) if (k === local || k.endsWith(':' + local)) return v;
  return undefined;
}

/** Every start tag `<prefix:name ...>` of a small document, local name matched. */
export function findTags(xml: string, local: string): string[] {
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${local}(?=[\\s/>])[^>]*>`, 'g');
  return xml.match(re) ?? [];
}

/** Removes characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_ESCAPE = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function escapeXml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// eslint-disable-next-line no-control-regex
const CELL_NEEDS_ESCAPE = /[&<>"\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]|_x/;
// eslint-disable-next-line no-control-regex
const XSTRING_ESCAPED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * Cell text for a sheet's XML, read back as written by Excel, openpyxl and the engine (decodeCellText). A
 * character XML 1.0 cannot carry, even as a reference (a control character other than tab, line feed and
 * carriage return: a vertical tab or a 0x01 from a legacy export), is written as Excel writes it, `_xHHHH_`
 * (OOXML ST_Xstring), and a literal `_xHHHH_` then as `_x005F_xHHHH_`: dropping them, as escapeXml does,
 * changed the data (`line1_x000B_line2` came back as `line1line2`). A carriage return is written as `&#13;`:
 * a reference survives XML's line-end normalisation (a raw one is read back as a line feed), and every XML
 * reader decodes it, where openpyxl (so pandas) decodes `_x000D_` in shared strings only, not in the inline
 * strings this writer writes. Lone surrogates are not characters, and are dropped.
 */
export function escapeCellText(s: string): string {
  if (!CELL_NEEDS_ESCAPE.test(s)) return s;
  let e = s.indexOf('_x') >= 0 ? s.replace(/_x(?=[0-9A-Fa-f]{4}_)/g, '_x005F_x') : s;
  e = escapeXml(e.replace(XSTRING_ESCAPED, (c) => '_x' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + '_'));
  return e.indexOf('\r') >= 0 ? e.replace(/\r/g, '&#13;') : e;
}
