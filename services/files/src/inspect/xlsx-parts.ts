import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseDateStyles } from '@rowline/engine';
import type { ZipArchive } from './zip.js';
import { assertNoDoctype, elements, firstElement, textOf } from './xml.js';
import { Rejection } from './rejection.js';

export type SheetPart = { name: string; path: string | null };

/**
 * The workbook's sheets in tab order, each with the zip path of its part (null when the workbook does not say), and
 * whether its serial dates count from 1904 (`date1904`, which the engine reads too: it moves where dates end).
 */
export async function readSheetList(zip: ZipArchive, maxPartBytes: number): Promise<{ sheets: SheetPart[]; sharedStrings: string | null; styles: string | null; date1904: boolean }> {
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
  const date1904 = firstElement(workbook, 'workbookPr')?.attrs.get('date1904');
  return {
    sheets,
    date1904: date1904 === '1' || date1904 === 'true',
    sharedStrings: byType('/sharedStrings') ?? (zip.has('xl/sharedStrings.xml') ? 'xl/sharedStrings.xml' : null),
    // Only through the relationship, as the engine's reader finds it: a styles part nothing names makes no number a date in a run.
    styles: byType('/styles'),
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

/**
 * For each cell style index (`s` on a cell), how numbers in it display: the engine's own reading of the styles
 * part (parseDateStyles: a date, a time of day, an elapsed time, or none), so that inspection types a styled
 * number as a run reads it.
 */
export async function readDateStyles(zip: ZipArchive, path: string | null, maxPartBytes: number): Promise<Uint8Array> {
  const xml = path ? await zip.readText(path, maxPartBytes) : null;
  if (!xml) return new Uint8Array(0);
  assertNoDoctype(xml);
  return parseDateStyles(xml);
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
