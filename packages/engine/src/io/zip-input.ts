import { createReadStream } from 'node:fs';
import { pipeline, Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
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

/** Parts up to this size, of a zip held in memory, are inflated in one synchronous call instead of a stream. */
const INFLATE_AT_ONCE = 1024 * 1024;

/**
 * Random access to the parts of an xlsx, spooled to a file or held in memory (a small upload). yauzl reads
 * the central directory (the zip's authoritative index, not the local headers a streaming unzip would
 * trust) and locates each part's data; the data itself is inflated here (see open) and must match the
 * declared size.
 */
export class ZipInput {
  private constructor(
    private readonly source: string | Buffer,
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly limits: ZipLimits,
  ) {}

  /** `source`: the path of a spooled file, or the whole zip in memory. */
  static async open(source: string | Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipInput> {
    let zip: yauzl.ZipFile;
    const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };
    try {
      zip = await (typeof source === 'string' ? yauzl.openPromise(source, options) : yauzl.fromRandomAccessReaderPromise(new BufferReader(source), source.length, options));
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
    return new ZipInput(source, zip, entries, limits);
  }

  has(name: string): boolean {
    return this.entries.has(normalize(name));
  }

  size(name: string): number {
    return this.entries.get(normalize(name))?.uncompressedSize ?? 0;
  }

  async open(name: string): Promise<Readable> {
    const part = await this.locate(name);
    if (part.inMemory !== null) {
      const stream = new Readable({ read() {} });
      try {
        stream.push(inflateAtOnce(part));
        stream.push(null);
      } catch (e) {
        stream.destroy(e as Error);
      }
      return stream;
    }
    return this.stream(part);
  }

  /** A small part (workbook, relationships, styles) read whole. */
  async text(name: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
    if (this.size(name) > maxBytes) throw new EngineError('TOO_LARGE', `part ${name} is larger than ${maxBytes} bytes`);
    const part = await this.locate(name);
    try {
      if (part.inMemory !== null) return inflateAtOnce(part).toString('utf8');
      const chunks: Buffer[] = [];
      for await (const c of this.stream(part)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    } catch (e) {
      throw new EngineError('CORRUPT_FILE', `cannot read part ${name}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Checks a part against the limits and finds its data. */
  private async locate(name: string): Promise<Part> {
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
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new EngineError('UNSUPPORTED_FILE', `part ${name} uses zip compression method ${entry.compressionMethod}`);
    }
    let start: number;
    try {
      start = (await this.zip.readLocalFileHeaderPromise(entry, { minimal: true })).fileDataStart;
    } catch (e) {
      throw new EngineError('CORRUPT_FILE', `cannot read part ${name}: ${(e as Error).message}`, { cause: e });
    }
    const end = start + entry.compressedSize;
    const deflated = entry.compressionMethod === 8;
    const inMemory = typeof this.source !== 'string' && entry.compressedSize > 0 && size <= INFLATE_AT_ONCE ? this.source.subarray(start, end) : null;
    return { name, start, end, size, deflated, inMemory };
  }

  /**
   * Our own read and inflate rather than yauzl's stream: 1 MB reads and 256 KB inflate chunks halve the
   * main thread's work per byte and cut reading the 1M-row sheet by seconds (bench/engine-bench.mjs).
   */
  private stream(part: Part): Readable {
    const { name, start, end, size } = part;
    if (end === start) return Readable.from([]).pipe(sizeGuard(name, size));
    const raw = typeof this.source === 'string' ? createReadStream(this.source, { start, end: end - 1, highWaterMark: 1 << 20 }) : Readable.from([this.source.subarray(start, end)]);
    const guard = sizeGuard(name, size);
    const chain = part.deflated ? [raw, zlib.createInflateRaw({ chunkSize: 1 << 18 }), guard] : [raw, guard];
    // pipeline destroys every stream on an error, so whoever reads `guard` sees it.
    pipeline(chain, () => undefined);
    return guard;
  }

  close(): void {
    this.zip.close();
  }
}

/** Part names compare case-insensitively, with '/' separators and no leading slash (as Excel resolves them). */
function normalize(name: string): string {
  return name.replace(/\\/g, '/').replace(/^\/+/, '').toLowerCase();
}

/**
 * yauzl's reader of a zip in memory, answering on the next tick instead of yauzl's own BufferSlicer, which
 * answers each read through setImmediate: two event-loop turns per entry of the central directory and one
 * per local header, which cost a small run more than reading its rows. Every 1024th read still goes
 * through setImmediate, so a zip of a hundred thousand entries cannot hold the event loop for long. Reads
 * clamp to the buffer's end like BufferSlicer, so a truncated zip fails the same way.
 */
class BufferReader extends yauzl.RandomAccessReader {
  private reads = 0;

  constructor(private readonly data: Buffer) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    const n = Math.max(0, Math.min(length, buffer.length - offset, this.data.length - position));
    if (n > 0) this.data.copy(buffer, offset, position, position + n);
    if ((++this.reads & 1023) === 0) setImmediate(callback, null, n);
    else process.nextTick(callback, null, n);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from([this.data.subarray(start, end)]);
  }

  override close(callback: (err: Error | null) => void): void {
    process.nextTick(callback, null);
  }
}

interface Part {
  name: string;
  /** Where the part's (compressed) data starts and ends in the zip. */
  start: number;
  end: number;
  /** The declared uncompressed size. */
  size: number;
  deflated: boolean;
  /** The data, for a small part of a zip held in memory: it is inflated in one call. */
  inMemory: Buffer | null;
}

/**
 * A small part of an in-memory zip, inflated in one call, with the errors of the streamed path: what zlib
 * says of bad data, or a size other than the declared one. The output is capped one byte past the
 * declared size, so a part that lies about its size cannot make this allocate more.
 */
function inflateAtOnce(part: Part): Buffer {
  const { name, size } = part;
  const past = () => new EngineError('CORRUPT_FILE', `part ${name} inflates past its declared size of ${size} bytes`);
  let data: Buffer;
  try {
    data = part.deflated ? zlib.inflateRawSync(part.inMemory!, { maxOutputLength: size + 1 }) : part.inMemory!;
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? past() : e;
  }
  if (data.length > size) throw past();
  if (data.length < size) throw new EngineError('CORRUPT_FILE', `part ${name} is ${data.length} bytes, not the declared ${size}`);
  return data;
}

/** Fails as soon as a part inflates past its declared size, and at its end if it fell short. */
function sizeGuard(name: string, declared: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > declared) done(new EngineError('CORRUPT_FILE', `part ${name} inflates past its declared size of ${declared} bytes`));
      else done(null, chunk);
    },
    flush(done) {
      done(seen === declared ? null : new EngineError('CORRUPT_FILE', `part ${name} is ${seen} bytes, not the declared ${declared}`));
    },
  });
}
