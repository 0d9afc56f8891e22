import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { RunControl } from '../flow/control.js';
import type { TempDir } from './temp-dir.js';

const IN_MEMORY = 4 * 1024 * 1024;

/**
 * Holds the XML of a sheet that cannot go into its zip yet (another sheet of the same artifact is being
 * streamed into it): the first 4 MB in memory, the rest in a file of the run's temporary directory.
 */
export class Spool {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private file: WriteStream | null = null;
  private opening: Promise<void> | null = null;
  private path = '';

  constructor(
    private readonly tmp: TempDir,
    private readonly ctl: RunControl,
  ) {}

  write(text: string): void {
    const b = Buffer.from(text, 'utf8');
    if (this.file === null && this.bytes + b.length <= IN_MEMORY && this.opening === null) {
      this.chunks.push(b);
      this.bytes += b.length;
      return;
    }
    this.chunks.push(b);
    this.bytes += b.length;
    if (this.opening === null) {
      this.opening = this.tmp.file('sheet.xml').then((path) => {
        this.path = path;
        this.file = createWriteStream(path);
      });
      this.ctl.waitFor(this.opening);
      return;
    }
    if (this.file !== null) this.flushToFile();
  }

  private flushToFile(): void {
    const file = this.file!;
    let ok = true;
    for (const c of this.chunks) ok = file.write(c) && ok;
    this.chunks = [];
    if (!ok) this.ctl.waitFor(new Promise<void>((r) => file.once('drain', () => r())));
  }

  /** The spooled bytes, as a stream to add to the zip. */
  async readable(): Promise<Readable> {
    if (this.opening === null) return Readable.from(this.chunks.length ? [Buffer.concat(this.chunks)] : []);
    await this.opening;
    this.flushToFile();
    const file = this.file!;
    await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return createReadStream(this.path, { highWaterMark: 256 * 1024 });
  }
}
