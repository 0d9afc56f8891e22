import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { ZipInput } from '../src/io/zip-input.js';
import { deflateEntry, ZipWriter } from '../src/io/zip-writer.js';

async function written(fill: (zip: ZipWriter) => Promise<void>): Promise<Buffer> {
  const zip = new ZipWriter(1);
  const chunks: Buffer[] = [];
  zip.output.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => zip.output.on('end', r));
  await fill(zip);
  zip.finish();
  await ended;
  return Buffer.concat(chunks);
}

function text(bytes: number): string {
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `<row r="${i}"><c><v>${(i * 7919) % 10007}</v></c></row>`;
  return s.slice(0, bytes);
}

describe('ZipWriter', () => {
  it('waits for one drain however many writes ask, so no listener piles up on a streamed entry', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const large = text(4 * 1024 * 1024);
    try {
      const bytes = await written(async (zip) => {
        const e = zip.entry('large.xml');
        // As a sheet does within one chunk of input: several flushes, each registering its wait, awaited together.
        const waits: Promise<void>[] = [];
        for (let at = 0; at < large.length; at += 64 * 1024) if (!e.write(large.slice(at, at + 64 * 1024))) waits.push(e.drained());
        await Promise.all(waits);
        await e.end();
      });
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).toEqual([]);
      const input = await ZipInput.open(bytes);
      try {
        expect(await input.text('large.xml')).toBe(large);
      } finally {
        input.close();
      }
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('writes small entries (deflated at once) and large ones (streamed) that read back intact', async () => {
    const small = text(5000);
    const large = text(3 * 1024 * 1024);
    const bytes = await written(async (zip) => {
      await zip.addBuffer('empty.txt', Buffer.alloc(0));
      await zip.addBuffer('small.xml', Buffer.from(small));
      const e = zip.entry('large.xml');
      for (let at = 0; at < large.length; at += 128 * 1024) if (!e.write(large.slice(at, at + 128 * 1024))) await e.drained();
      await e.end();
    });
    const input = await ZipInput.open(bytes);
    try {
      expect(await input.text('empty.txt')).toBe('');
      expect(await input.text('small.xml')).toBe(small);
      expect(await input.text('large.xml')).toBe(large);
    } finally {
      input.close();
    }
  });

  it('writes and reads back a zip of thousands of entries (the in-memory reader yields to the event loop now and then)', async () => {
    const bytes = await written(async (zip) => {
      for (let i = 0; i < 3000; i++) await zip.addBuffer(`f${i}.txt`, Buffer.from(`entry ${i}`));
    });
    const input = await ZipInput.open(bytes);
    try {
      expect(input.has('f2999.txt')).toBe(true);
      expect(await input.text('f1234.txt')).toBe('entry 1234');
    } finally {
      input.close();
    }
  });

  it('adds entries deflated beforehand, as the same bytes as entries written', async () => {
    const part = Buffer.from(text(3000));
    const prepared = deflateEntry(part, 1);
    const viaWrite = await written((zip) => zip.addBuffer('p.xml', part));
    const viaPrepared = await written(async (zip) => zip.addDeflated('p.xml', prepared));
    expect(viaPrepared.equals(viaWrite)).toBe(true);
    await expect(written(async (zip) => zip.addDeflated('p.xml', deflateEntry(part, 6)))).rejects.toThrow(/level 6/);
  });

  it('writes the same bytes for an entry whether it is deflated at once or streamed', async () => {
    // Entries at or under 1 MB are deflated in one call; the zip must not depend on which path ran.
    const data = Buffer.from(text(900 * 1024));
    const bytes = await written((zip) => zip.addBuffer('a.xml', data));
    const streamed = await new Promise<Buffer>((resolve, reject) => {
      const d = zlib.createDeflateRaw({ level: 1, chunkSize: 1 << 18 });
      const out: Buffer[] = [];
      d.on('data', (c: Buffer) => out.push(c)).on('end', () => resolve(Buffer.concat(out))).on('error', reject);
      for (let at = 0; at < data.length; at += 128 * 1024) d.write(data.subarray(at, at + 128 * 1024));
      d.end();
    });
    expect(bytes.indexOf(streamed)).toBe(30 + 'a.xml'.length);
  });
});
