import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ZipArchive } from './zip.js';
import { assertNoDoctype, elements, firstElement, textOf } from './xml.js';
import { Rejection } from './rejection.js';

export type SheetPart = { name: string; path: string | null };

/** The workbook's sheets in tab order, each with the zip path of its part (null when the workbook does not say). */
export async function readSheetList(zip: ZipArchive, maxPartBytes: number): Promise<{ sheets: SheetPart[]; sharedStrings: string | null; styles: string | null }> {
  const workbook = (await zip.readText('xl/workbook.xml', maxPartBytes)) ?? '';
  assertNoDoctype(workbook);
  const rels = await readRelationships(zip, 'xl/_rels/workbook.xml.rels', 'xl', maxPartBytes);
  const listed = [...elements(workbook, 'sheet')].map((sheet) => {
    const name = sheet.attrs.get('name') ?? '';
    const relId = [...sheet.attrs].find(([key]) => key.includes(':') && key.endsWith(':id'))?.[1];
    const rel = relId ? rels.byId.get(relId) : undefined;
    return { name, path: rel?.target ?? null, type: rel?.type ?? null };
  });
  if (listed.length === 0 || listed.some((s) => !s.name)) throw new Rejection('This workbook is damaged: its list of sheets is missing or unreadable');
  // Chart sheets and dialog sheets hold no cells: as in the engine (packages/engine, xlsx-meta.ts), only
  // worksheets are sheets of the file. A sheet whose part is missing stays, and is refused as damaged.
  const sheets = listed.filter((s) => s.type === null || s.type.endsWith('/worksheet')).map(({ name, path }) => ({ name, path }));
  if (sheets.length === 0) throw new Rejection('This workbook has no worksheet, only charts: there are no rows to read');
  const byType = (suffix: string) => [...rels.byId.values()].find((r) => r.type.endsWith(suffix))?.target ?? null;
  return {
    sheets,
    sharedStrings: byType('/sharedStrings') ?? (zip.has('xl/sharedStrings.xml') ? 'xl/sharedStrings.xml' : null),
    styles: byType('/styles') ?? (zip.has('xl/styles.xml') ? 'xl/styles.xml' : null),
  };
}

async function readRelationships(zip: ZipArchive, path: string, baseDir: string, maxPartBytes: number) {
  const xml = (await zip.readText(path, maxPartBytes)) ?? '';
  assertNoDoctype(xml);
  const byId = new Map<string, { target: string; type: string }>();
  for (const rel of elements(xml, 'Relationship')) {
    const id = rel.attrs.get('Id');
    const target = rel.attrs.get('Target');
    if (!id || !target || rel.attrs.get('TargetMode') === 'External') continue;
    // Targets are relative to the part's folder, or absolute from the package root; never outside it.
    const resolved = target.startsWith('/') ? posix.normalize(target.slice(1)) : posix.normalize(posix.join(baseDir, target));
    if (resolved.startsWith('..')) continue;
    byId.set(id, { target: resolved, type: rel.attrs.get('Type') ?? '' });
  }
  return { byId };
}

/** Built-in number formats that show a date or time (ECMA-376 18.8.30, plus the common East Asian ones). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** For each cell style index (`s` on a cell), whether numbers in it display as dates. */
export async function readDateStyles(zip: ZipArchive, path: string | null, maxPartBytes: number): Promise<boolean[]> {
  const xml = path ? await zip.readText(path, maxPartBytes) : null;
  if (!xml) return [];
  assertNoDoctype(xml);
  const custom = new Map<number, string>();
  for (const fmt of elements(xml, 'numFmt')) custom.set(Number(fmt.attrs.get('numFmtId')), fmt.attrs.get('formatCode') ?? '');
  const cellXfs = firstElement(xml, 'cellXfs')?.body ?? '';
  return [...elements(cellXfs, 'xf')].map((xf) => {
    const id = Number(xf.attrs.get('numFmtId') ?? 0);
    const code = custom.get(id);
    return code === undefined ? BUILTIN_DATE_FORMATS.has(id) : isDateFormat(code);
  });
}

/** A custom format shows a date when, outside quoted text, escapes and [colour]/[$-locale] brackets, it has d, m, y, h or s. */
export function isDateFormat(code: string): boolean {
  const bare = code.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[[^\]]*\]/g, '').split(';')[0] ?? '';
  return /[dmyhs]/i.test(bare);
}

/**
 * The shared strings at `wanted` indices, reading the part as a stream and stopping after the highest one:
 * headers sit near the top of the table, so this rarely reads far. Gives up (returning what it has) past
 * `maxBytes` or on a single item larger than `maxItemChars`.
 */
export async function readSharedStrings(zip: ZipArchive, path: string | null, wanted: Set<number>, limits: { maxBytes: number; maxItemChars: number }) {
  const found = new Map<number, string>();
  if (!path || wanted.size === 0) return found;
  const stream = await zip.open(path);
  if (!stream) return found;
  const highest = Math.max(...wanted);
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let index = 0;
  let bytes = 0;
  let checkedHead = false;
  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      buffer += decoder.write(chunk as Buffer);
      if (!checkedHead) { assertNoDoctype(buffer.slice(0, 4096)); checkedHead = buffer.length >= 4096; }
      let consumed = 0;
      for (const item of elements(buffer, 'si')) {
        if (wanted.has(index)) found.set(index, item.body === null ? '' : textOf(item.body));
        index++;
        consumed = item.end;
        if (index > highest) return found;
      }
      buffer = buffer.slice(consumed);
      if (bytes > limits.maxBytes || buffer.length > limits.maxItemChars) return found;
    }
    return found;
  } finally {
    stream.destroy();
  }
}
