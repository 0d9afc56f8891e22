import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * A streaming zip writer: entries one after another, each deflated as it is written, sizes and CRC in a data
 * descriptor after the data, zip64 records only where a size or offset needs them. Hand-written instead of
 * yazl because yazl computes CRC-32 in JavaScript on the main thread (~8% of the 1M-row benchmark) and
 * deflates in 16 KB chunks; node's zlib.crc32 is native and the deflate here works in 256 KB chunks.
 */
export class ZipWriter {
  /** The zip's bytes; pipe it to the destination. */
  readonly output = new PassThrough({ highWaterMark: 1 << 20 });
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private current: ZipEntry | null = null;

  constructor(private readonly level = 1) {}

  push(b: Buffer): boolean {
    this.offset += b.length;
    return this.output.write(b);
  }

  /** Starts an entry; only one may be open at a time. */
  entry(name: string): ZipEntry {
    if (this.current && !this.current.closed) throw new Error(`internal: zip entry ${this.current.name} is still open`);
    const nameBytes = Buffer.from(name, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    // CRC and sizes (14..25) stay 0: they follow the data, in the data descriptor.
    header.writeUInt16LE(nameBytes.length, 26);
    const start = this.offset;
    this.push(Buffer.concat([header, nameBytes]));
    this.current = new ZipEntry(this, name, this.level, (crc, compressed, size) => this.entries.push({ nameBytes, crc, compressed, size, offset: start }));
    return this.current;
  }

  async addBuffer(name: string, data: Buffer): Promise<void> {
    const e = this.entry(name);
    e.write(data);
    await e.end();
  }

  /** Adds an entry deflated beforehand (see deflateEntry), at this writer's level. */
  addDeflated(name: string, data: DeflatedEntry): void {
    if (data.level !== this.level) throw new Error(`internal: entry ${name} was deflated at level ${data.level}, not ${this.level}`);
    const e = this.entry(name);
    e.endWith(data);
  }

  async addStream(name: string, data: Readable): Promise<void> {
    const e = this.entry(name);
    for await (const chunk of data) if (!e.write(chunk as Buffer)) await e.drained();
    await e.end();
  }

  /** Writes the central directory and ends the output. */
  finish(): void {
    const cdStart = this.offset;
    for (const e of this.entries) this.push(centralHeader(e));
    const cdSize = this.offset - cdStart;
    const count = this.entries.length;
    if (count > 0xffff || cdStart >= MAX32 || cdSize >= MAX32) {
      const z64 = Buffer.alloc(56);
      z64.writeUInt32LE(0x06064b50, 0);
      z64.writeBigUInt64LE(44n, 4);
      z64.writeUInt16LE(45, 12);
      z64.writeUInt16LE(45, 14);
      z64.writeBigUInt64LE(BigInt(count), 24);
      z64.writeBigUInt64LE(BigInt(count), 32);
      z64.writeBigUInt64LE(BigInt(cdSize), 40);
      z64.writeBigUInt64LE(BigInt(cdStart), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.offset), 8);
      locator.writeUInt32LE(1, 16);
      this.push(Buffer.concat([z64, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    end.writeUInt32LE(Math.min(cdStart, MAX32), 16);
    this.push(end);
    this.output.end();
  }
}

/** An entry's data, deflated once to be added to many zips (the fixed parts of every xlsx). */
export interface DeflatedEntry {
  readonly level: number;
  readonly crc: number;
  readonly size: number;
  readonly deflated: Buffer;
}

export function deflateEntry(data: Buffer, level: number): DeflatedEntry {
  return { level, crc: zlib.crc32(data) >>> 0, size: data.length, deflated: zlib.deflateRawSync(data, { level }) };
}

/**
 * Entries up to this size are deflated in one synchronous call when they end: for the small parts of a
 * workbook (and small sheets), a zlib stream's setup, thread-pool round trips and 256 KB output buffers
 * cost far more than the compression itself. Past it, the entry switches to a deflate stream.
 */
const DEFLATE_AT_ONCE = 1024 * 1024;

/** One entry being written: write its bytes, then end it. */
export class ZipEntry {
  private deflate: zlib.DeflateRaw | null = null;
  private done: Promise<void> | null = null;
  /** What was written while the entry is small enough to deflate at once. */
  private pending: Buffer[] | null = [];
  private draining: Promise<void> | null = null;
  private crc = 0;
  private size = 0;
  private compressed = 0;
  closed = false;

  constructor(
    private readonly zip: ZipWriter,
    readonly name: string,
    private readonly level: number,
    private readonly onClose: (crc: number, compressed: number, size: number) => void,
  ) {}

  private stream(): zlib.DeflateRaw {
    // highWaterMark is a stream option zlib passes on, though its types omit it.
    const deflate = zlib.createDeflateRaw({ level: this.level, chunkSize: 1 << 18, highWaterMark: 1 << 20 } as zlib.ZlibOptions);
    deflate.on('data', (c: Buffer) => {
      this.compressed += c.length;
      if (!this.zip.push(c)) {
        deflate.pause();
        this.zip.output.once('drain', () => deflate.resume());
      }
    });
    this.done = new Promise((resolve, reject) => {
      deflate.once('end', resolve);
      deflate.once('error', reject);
    });
    return deflate;
  }

  /** False when the caller should wait for drained() before writing more. */
  write(data: Buffer | string): boolean {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.crc = zlib.crc32(b, this.crc);
    this.size += b.length;
    if (this.pending !== null) {
      this.pending.push(b);
      if (this.size <= DEFLATE_AT_ONCE) return true;
      const held = this.pending;
      this.pending = null;
      this.deflate = this.stream();
      let ok = true;
      for (const h of held) ok = this.deflate.write(h) && ok;
      return ok;
    }
    return this.deflate!.write(b);
  }

  /**
   * One promise for every caller until the next 'drain': a sheet flushes several times per chunk of input rows
   * (the pass awaits back-pressure between chunks), and a listener per flush passed node's limit of 10 and
   * logged a MaxListenersExceededWarning ("possible memory leak") on every large artifact.
   */
  drained(): Promise<void> {
    const deflate = this.deflate;
    if (deflate === null || !deflate.writableNeedDrain) return Promise.resolve();
    this.draining ??= new Promise((resolve) =>
      deflate.once('drain', () => {
        this.draining = null;
        resolve();
      }),
    );
    return this.draining;
  }

  async end(): Promise<void> {
    if (this.pending !== null) {
      const data = zlib.deflateRawSync(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending), { level: this.level });
      this.pending = null;
      this.compressed = data.length;
      this.zip.push(data);
    } else {
      this.deflate!.end();
      await this.done;
    }
    this.close();
  }

  /** Ends an entry nothing was written to with data deflated beforehand. */
  endWith(data: DeflatedEntry): void {
    if (this.size !== 0 || this.pending === null) throw new Error(`internal: zip entry ${this.name} already has data`);
    this.pending = null;
    this.crc = data.crc;
    this.size = data.size;
    this.compressed = data.deflated.length;
    this.zip.push(data.deflated);
    this.close();
  }

  private close(): void {
    const big = this.size >= MAX32 || this.compressed >= MAX32;
    const d = Buffer.alloc(big ? 24 : 16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(this.crc >>> 0, 4);
    if (big) {
      d.writeBigUInt64LE(BigInt(this.compressed), 8);
      d.writeBigUInt64LE(BigInt(this.size), 16);
    } else {
      d.writeUInt32LE(this.compressed, 8);
      d.writeUInt32LE(this.size, 12);
    }
    this.zip.push(d);
    this.closed = true;
    this.onClose(this.crc >>> 0, this.compressed, this.size);
  }
}

interface CentralEntry {
  nameBytes: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

const MAX32 = 0xffffffff;
/** Bit 3: sizes in a data descriptor; bit 11: the name is UTF-8. */
const FLAGS = 0x0808;
/** 2024-01-01 00:00, fixed so a redone run writes identical bytes. */
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

function centralHeader(e: CentralEntry): Buffer {
  const z64: bigint[] = [];
  if (e.size >= MAX32) z64.push(BigInt(e.size));
  if (e.compressed >= MAX32) z64.push(BigInt(e.compressed));
  if (e.offset >= MAX32) z64.push(BigInt(e.offset));
  const extra = Buffer.alloc(z64.length ? 4 + 8 * z64.length : 0);
  if (z64.length) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * z64.length, 2);
    z64.forEach((v, i) => extra.writeBigUInt64LE(v, 4 + 8 * i));
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(z64.length ? 45 : 20, 4);
  h.writeUInt16LE(z64.length ? 45 : 20, 6);
  h.writeUInt16LE(FLAGS, 8);
  h.writeUInt16LE(8, 10);
  h.writeUInt16LE(DOS_TIME, 12);
  h.writeUInt16LE(DOS_DATE, 14);
  h.writeUInt32LE(e.crc, 16);
  h.writeUInt32LE(Math.min(e.compressed, MAX32), 20);
  h.writeUInt32LE(Math.min(e.size, MAX32), 24);
  h.writeUInt16LE(e.nameBytes.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(Math.min(e.offset, MAX32), 42);
  return Buffer.concat([h, e.nameBytes, extra]);
}
