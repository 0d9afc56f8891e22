import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EngineError, previewWorkflow, XLSX_IN_MEMORY_BYTES } from '../src/index.js';
import { run } from './helpers.js';

/**
 * A source whose stream fails partway (a connection reset mid-body, a disk read error) is not a file the engine
 * cannot read: only the caller knows whether it may work next time. The engine keeps the stream's own error as
 * the cause of the error it fails with, wherever the read was, so the caller can find it there.
 */
class SourceBroke extends Error {}

/** `bytes` given in 16 KB chunks, then the stream is destroyed with `error` once `after` bytes were given. */
function breaking(fileName: string, bytes: Buffer, after: number, error: Error, size?: number) {
  if (bytes.length <= after) throw new Error(`the file has ${bytes.length} bytes, not more than ${after}`);
  return {
    fileName,
    ...(size === undefined ? {} : { size }),
    open: () => Readable.from((async function* () {
      for (let at = 0; at < bytes.length; at += 16_384) {
        if (at >= after) throw error;
        yield bytes.subarray(at, Math.min(at + 16_384, bytes.length));
      }
    })(), { objectMode: false }),
  };
}

const causes = (e: unknown): unknown[] => {
  const chain: unknown[] = [];
  for (let c = e; c !== undefined && chain.length < 10; c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
};

const ROWS = 20_000;
const salesCsv = () => Buffer.from(`id,amount\n${Array.from({ length: ROWS }, (_, i) => `${i},${i % 97}`).join('\n')}\n`);
/** The csv as an xlsx of one sheet, Sales, written by the engine. */
async function salesXlsx(): Promise<Buffer> {
  const ran = await run([{ type: 'output', params: { artifacts: [{ name: 'Sales.xlsx', format: 'xlsx', sheets: [{ from: 'Sales' }] }] } }], { fileName: 'Sales.csv', open: () => Readable.from([salesCsv()]) });
  return ran.files.get('Sales.xlsx')!;
}
const SORT = [{ type: 'sort', params: { by: [{ column: 'amount' }] } }];
const LOOKUP = [{ type: 'lookup', params: { from: { file: 'prices' }, on: [{ left: 'id', right: 'id' }], columns: [{ column: 'amount', as: 'price' }] } }];

describe('a source stream that errors partway through the read', () => {
  it.each([
    ['a csv input, in its first bytes', async () => breaking('Sales.csv', salesCsv(), 16_384, new SourceBroke('reset'))],
    ['a csv input, while its rows are parsed', async () => breaking('Sales.csv', salesCsv(), 131_072, new SourceBroke('reset'))],
    ['an xlsx input held in memory', async () => breaking('Sales.xlsx', await salesXlsx(), 32_768, new SourceBroke('reset'))],
    ['an xlsx input spooled to a file', async () => breaking('Sales.xlsx', await salesXlsx(), 32_768, new SourceBroke('reset'), XLSX_IN_MEMORY_BYTES + 1)],
  ])('fails the run with that error as its cause: %s', async (_, input) => {
    const source = await input();
    const err = await run(SORT, source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ message: `cannot read ${source.fileName}: reset` });
    expect(causes(err).some((c) => c instanceof SourceBroke)).toBe(true);
  });

  it('fails the run with that error as its cause for a file of `files` (a lookup\'s table)', async () => {
    const err = await run(LOOKUP, { fileName: 'Orders.csv', open: () => Readable.from(['id\n1\n2\n']) }, {
      files: { prices: breaking('prices.csv', salesCsv(), 131_072, new SourceBroke('reset')) },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ message: 'cannot read prices.csv: reset' });
    expect(causes(err).some((c) => c instanceof SourceBroke)).toBe(true);
  });

  it('fails a preview with that error in its causes, for the input and a file of `files`', async () => {
    // A preview reads a few rows of its input: the stream breaks within them.
    const input = await previewWorkflow({ steps: SORT, input: breaking('Sales.csv', salesCsv(), 16_384, new SourceBroke('reset')), limit: 5 }).catch((e: unknown) => e);
    expect(causes(input).some((c) => c instanceof SourceBroke)).toBe(true);
    const lookup = await previewWorkflow({
      steps: LOOKUP, input: { fileName: 'Orders.csv', open: () => Readable.from(['id\n1\n2\n']) }, limit: 5,
      files: { prices: breaking('prices.csv', salesCsv(), 131_072, new SourceBroke('reset')) },
    }).catch((e: unknown) => e);
    expect(causes(lookup).some((c) => c instanceof SourceBroke)).toBe(true);
  });

  it('is told from a file that is unreadable in itself: an xlsx cut short fails CORRUPT_FILE with no stream error behind it', async () => {
    const cut = (await salesXlsx()).subarray(0, 40_000);
    const err = await run(SORT, { fileName: 'Sales.xlsx', open: () => Readable.from([cut]) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/^(CORRUPT_FILE|UNSUPPORTED_FILE)$/) });
    expect(causes(err).some((c) => c instanceof SourceBroke)).toBe(false);
  });
});
