import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { EngineError } from '../errors.js';

/** Refusals that keep a zip bomb from filling memory or disk before a row is read. */
export interface ZipLimits {
  /** Largest uncompressed size of one part. */
  maxEntryBytes: number;
  /** Largest uncompressed/compressed ratio of a part bigger than 16 MB (sheet XML is usually 5-30x). */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntryBytes: 8 * 1024 ** 3, maxRatio: 1000 };

/**
 * Random access to the parts of an xlsx spooled to a file. yauzl reads the central directory (the zip's
 * authoritative index, not the local headers a streaming unzip would trust), refuses entries whose
 * inflated size differs from the declared one, and inflates with node's zlib on the thread pool.
 */
export class ZipInput {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly limits: ZipLimits,
  ) {}

  static async open(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipInput> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
    } catch (e) {
      throw new EngineError('CORRUPT_FILE', `not a readable xlsx (zip): ${(e as Error).message}`, { cause: e });
    }
    const entries = new Map<string, yauzl.Entry>();
    try {
      for await (const entry of zip.eachEntry()) entries.set(normalize(entry.fileName), entry);
    } catch (e) {
      zip.close();
      throw new EngineError('CORRUPT_FILE', `not a readable xlsx (zip): ${(e as Error).message}`, { cause: e });
    }
    return new ZipInput(zip, entries, limits);
  }

  has(name: string): boolean {
    return this.entries.has(normalize(name));
  }

  size(name: string): number {
    return this.entries.get(normalize(name))?.uncompressedSize ?? 0;
  }

  async open(name: string): Promise<Readable> {
    const entry = this.entries.get(normalize(name));
    if (!entry) throw new EngineError('CORRUPT_FILE', `the xlsx has no part ${name}`);
    if (entry.isEncrypted()) throw new EngineError('UNSUPPORTED_FILE', 'encrypted xlsx files are not supported');
    const size = entry.uncompressedSize;
    if (size > this.limits.maxEntryBytes) {
      throw new EngineError('TOO_LARGE', `part ${name} inflates to ${size} bytes, over the limit of ${this.limits.maxEntryBytes}`);
    }
    if (size > 16 * 1024 * 1024 && size / Math.max(1, entry.compressedSize) > this.limits.maxRatio) {
      throw new EngineError('TOO_LARGE', `part ${name} has a compression ratio over ${this.limits.maxRatio}: refused as a zip bomb`);
    }
    try {
      return await this.zip.openReadStreamPromise(entry);
    } catch (e) {
      throw new EngineError('CORRUPT_FILE', `cannot read part ${name}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** A small part (workbook, relationships, styles) read whole. */
  async text(name: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
    if (this.size(name) > maxBytes) throw new EngineError('TOO_LARGE', `part ${name} is larger than ${maxBytes} bytes`);
    const chunks: Buffer[] = [];
    const stream = await this.open(name);
    try {
      for await (const c of stream) chunks.push(c as Buffer);
    } catch (e) {
      throw new EngineError('CORRUPT_FILE', `cannot read part ${name}: ${(e as Error).message}`, { cause: e });
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  close(): void {
    this.zip.close();
  }
}

/** Part names compare case-insensitively, with '/' separators and no leading slash (as Excel resolves them). */
function normalize(name: string): string {
  return name.replace(/\\/g, '/').replace(/^\/+/, '').toLowerCase();
}
