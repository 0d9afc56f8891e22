import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSPECT_LIMITS } from '../../src/inspect/limits.js';
import { Rejection } from '../../src/inspect/rejection.js';
import { columnIndex } from '../../src/inspect/xlsx-sheet.js';
import { inspectZip } from '../../src/inspect/xlsx.js';
import { handMadeXlsx, salesWorkbook, WORKBOOK_XML } from '../support/fixtures.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'xlsx-inspection-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const onDisk = async (bytes: Buffer) => { const path = join(dir, `${Math.random()}.xlsx`); await writeFile(path, bytes); return path; };

describe('xlsx inspection', () => {
  it('leaves row counts unknown, not wrong, when counting runs out of time', async () => {
    const verdict = await inspectZip(await onDisk(await salesWorkbook()), { ...INSPECT_LIMITS.xlsx, timeBudgetMs: -1 });
    expect(verdict).toMatchObject({ kind: 'xlsx', sheets: [{ name: 'Sales', rowCount: null }, { name: 'Notes', rowCount: null }] });
  });

  it('refuses more sheets or parts than allowed', async () => {
    const path = await onDisk(await salesWorkbook());
    await expect(inspectZip(path, { ...INSPECT_LIMITS.xlsx, maxSheets: 1 })).rejects.toThrow(/more than 1 sheets/);
    await expect(inspectZip(path, { ...INSPECT_LIMITS.xlsx, maxEntries: 3 })).rejects.toThrow(/more than 3 parts/);
  });

  it('refuses a workbook whose sheet part is missing, or whose sheet list is empty', async () => {
    const missing = WORKBOOK_XML.replace('r:id="rId1"', 'r:id="rId9"');
    await expect(inspectZip(await onDisk(await handMadeXlsx(missing)), INSPECT_LIMITS.xlsx)).rejects.toBeInstanceOf(Rejection);
    const empty = WORKBOOK_XML.replace(/<sheet [^>]*\/>/, '');
    await expect(inspectZip(await onDisk(await handMadeXlsx(empty)), INSPECT_LIMITS.xlsx)).rejects.toThrow(/list of sheets/);
  });

  it('refuses bytes that only start like a zip', async () => {
    await expect(inspectZip(await onDisk(Buffer.from('PK\u0003\u0004 and then nothing')), INSPECT_LIMITS.xlsx)).rejects.toThrow(/damaged/);
  });

  it('reads inline strings and sheet names with escaped characters', async () => {
    const verdict = await inspectZip(await onDisk(await handMadeXlsx(WORKBOOK_XML.replace('name="Data"', 'name="P&amp;L &lt;2026&gt;"'))), INSPECT_LIMITS.xlsx);
    expect(verdict).toEqual({ kind: 'xlsx', sheets: [{ name: 'P&L <2026>', rowCount: 1, columns: [{ name: 'a', type: 'NUMBER' }] }] });
  });

  it('reads cell references as zero-based column indices', () => {
    expect([columnIndex('A1'), columnIndex('Z9'), columnIndex('AA1'), columnIndex('XFD1'), columnIndex('1A')]).toEqual([0, 25, 26, 16383, undefined]);
  });
});
