import { posix } from 'node:path';
import { EngineError } from '../errors.js';
import { attrByLocalName, findTags, parseAttributes, refuseDoctype } from './xml.js';
import type { ZipInput } from './zip-input.js';

export interface XlsxSheetRef {
  name: string;
  part: string;
}

export interface XlsxMeta {
  sheets: XlsxSheetRef[];
  date1904: boolean;
  sharedStringsPart: string | null;
  /** At index i: DATE_STYLE when cell style i shows its number as a date (or a date and time), TIME_STYLE as a time of day only, else 0. */
  dateStyles: Uint8Array;
}

async function part(zip: ZipInput, name: string): Promise<string> {
  const xml = await zip.text(name);
  refuseDoctype(xml.slice(0, 4096), name);
  return xml;
}

function relationships(xml: string, base: string): Map<string, { type: string; target: string }> {
  const out = new Map<string, { type: string; target: string }>();
  for (const tag of findTags(xml, 'Relationship')) {
    const a = parseAttributes(tag);
    const id = a.get('Id');
    const target = a.get('Target');
    if (!id || !target || a.get('TargetMode') === 'External') continue;
    const path = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(base, target));
    out.set(id, { type: a.get('Type') ?? '', target: path });
  }
  return out;
}

function relsPathOf(partName: string): string {
  return posix.join(posix.dirname(partName), '_rels', posix.basename(partName) + '.rels');
}

export async function readXlsxMeta(zip: ZipInput): Promise<XlsxMeta> {
  let workbookPart = 'xl/workbook.xml';
  if (zip.has('_rels/.rels')) {
    const rels = relationships(await part(zip, '_rels/.rels'), '');
    for (const r of rels.values()) if (r.type.endsWith('/officeDocument')) workbookPart = r.target;
  }
  if (!zip.has(workbookPart)) throw new EngineError('UNSUPPORTED_FILE', 'the zip is not an xlsx workbook (no workbook part)');
  const workbook = await part(zip, workbookPart);
  const relsPath = relsPathOf(workbookPart);
  const rels = zip.has(relsPath) ? relationships(await part(zip, relsPath), posix.dirname(workbookPart)) : new Map();

  const sheets: XlsxSheetRef[] = [];
  for (const tag of findTags(workbook, 'sheet')) {
    const a = parseAttributes(tag);
    const rel = rels.get(attrByLocalName(a, 'id') ?? '');
    const name = a.get('name');
    // Chart sheets and dialog sheets hold no cells; only worksheets become sheets of the run.
    if (!name || !rel || !rel.type.endsWith('/worksheet')) continue;
    sheets.push({ name, part: rel.target });
  }
  const pr = findTags(workbook, 'workbookPr')[0];
  const d1904 = pr ? parseAttributes(pr).get('date1904') : undefined;

  let sharedStringsPart: string | null = null;
  let stylesPart: string | null = null;
  for (const r of rels.values()) {
    if (r.type.endsWith('/sharedStrings')) sharedStringsPart = r.target;
    if (r.type.endsWith('/styles')) stylesPart = r.target;
  }
  if (sharedStringsPart && !zip.has(sharedStringsPart)) sharedStringsPart = null;
  const dateStyles = stylesPart && zip.has(stylesPart) ? parseDateStyles(await part(zip, stylesPart)) : new Uint8Array(0);
  return { sheets, date1904: d1904 === '1' || d1904 === 'true', sharedStringsPart, dateStyles };
}

export const DATE_STYLE = 1;
export const TIME_STYLE = 2;
/** A date style that shows elapsed time, a duration ([h]:mm, mm:ss): read as DATE_STYLE, except a negative number. */
export const ELAPSED_STYLE = 3;

/** Built-in number formats that show dates or times (ECMA-376 18.8.30, plus the CJK ids Excel uses). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
/**
 * Of those, the ones that show a time of day only: h:mm AM/PM, h:mm:ss AM/PM, h:mm, h:mm:ss. Not mm:ss,
 * [h]:mm:ss and mmss.0 (45-47): those show elapsed time, a duration that may pass a day (28:00:00), not a
 * time of day that wraps around midnight; they stay dates, as every date format was before times were told apart.
 */
const BUILTIN_TIME_FORMATS = new Set([18, 19, 20, 21]);
/** And the ones that show elapsed time: mm:ss, [h]:mm:ss, mmss.0. */
const BUILTIN_ELAPSED_FORMATS = new Set([45, 46, 47]);

/** The first section of a format code outside quoted text, escapes and [colour]/[$-locale] brackets. */
function formatSection(code: string): string {
  const stripped = code.replace(/"[^"]*"|\\.|_.|\*./g, '').replace(/\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]/gi, '');
  return stripped.split(';')[0] ?? '';
}

/** A custom format is a date when, outside quoted text, escapes and [colour]/[$-locale] brackets, it has d, m, y, h or s. */
export function isDateFormatCode(code: string): boolean {
  const firstSection = formatSection(code);
  return /[dmyhs]/i.test(firstSection) && !/^general$/i.test(firstSection.trim());
}

/**
 * A date format that shows a time of day only: hours, and no day, year or month name (with an h, m and mm are
 * minutes). AM/PM and A/P are set aside first: their m is no minute. Elapsed time ([h]:mm, [mm]:ss, or mm:ss
 * without hours) is a duration, not a time of day.
 */
export function isTimeFormatCode(code: string): boolean {
  const section = formatSection(code).replace(/AM\/PM|A\/P/gi, '');
  return isDateFormatCode(code) && /h/i.test(section) && !/\[(?:h|hh|m|mm|s|ss)\]/i.test(section) && !/[dy]|m{3,}/i.test(section);
}

/**
 * A date format that shows elapsed time, a duration that may pass a day or be negative: [h], [m] or [s] (`[h]:mm`,
 * `[mm]:ss`), or minutes and seconds with no hour, day or year (`mm:ss`, `mm:ss.0`).
 */
export function isElapsedFormatCode(code: string): boolean {
  const section = formatSection(code).replace(/AM\/PM|A\/P/gi, '');
  return isDateFormatCode(code) && (/\[(?:h|hh|m|mm|s|ss)\]/i.test(section) || (/s/i.test(section) && !/[dyh]/i.test(section)));
}

export function parseDateStyles(styles: string): Uint8Array {
  const custom = new Map<number, string>();
  for (const tag of findTags(styles, 'numFmt')) {
    const a = parseAttributes(tag);
    custom.set(Number(a.get('numFmtId')), a.get('formatCode') ?? '');
  }
  const start = styles.search(/<(?:\w+:)?cellXfs[\s>]/);
  const end = styles.search(/<\/(?:\w+:)?cellXfs>/);
  if (start < 0 || end < 0) return new Uint8Array(0);
  const xfs = findTags(styles.slice(start, end), 'xf');
  const out = new Uint8Array(xfs.length);
  xfs.forEach((tag, i) => {
    const id = Number(parseAttributes(tag).get('numFmtId') ?? 0);
    const code = custom.get(id);
    if (code !== undefined) out[i] = isTimeFormatCode(code) ? TIME_STYLE : isElapsedFormatCode(code) ? ELAPSED_STYLE : isDateFormatCode(code) ? DATE_STYLE : 0;
    else out[i] = BUILTIN_TIME_FORMATS.has(id) ? TIME_STYLE : BUILTIN_ELAPSED_FORMATS.has(id) ? ELAPSED_STYLE : BUILTIN_DATE_FORMATS.has(id) ? DATE_STYLE : 0;
  });
  return out;
}
