import { PassThrough, type Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { Rejection } from './rejection.js';

export type ZipLimits = {
  maxEntries: number;
  /** Sum of the entries' uncompressed sizes: what reading everything would inflate to. */
  maxTotalUncompressed: number;
  /** Deflate rarely beats 100:1 on real sheets; bombs reach 1000:1. Checked above `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
};

const DAMAGED = 'This workbook is damaged or is not a valid .xlsx file';

/**
 * A zip's table of contents, vetted before a byte is inflated. yauzl reads the central directory (not the
 * local headers a streaming unzipper would trust), refuses absolute and `..` paths, and with
 * `validateEntrySizes` fails a read that inflates past the size the directory declared, so the limits
 * checked here bound all later reads.
 */
export async function openZip(path: string, limits: ZipLimits) {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  } catch {
    throw new Rejection(DAMAGED);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw new Rejection(`This workbook has more than ${limits.maxEntries} parts, which is not allowed`);
    const entries = new Map<string, Entry>();
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      if (entries.has(entry.fileName)) throw new Rejection(`${DAMAGED}: it repeats the part ${entry.fileName}`);
      if (entry.isEncrypted()) throw new Rejection('This workbook is encrypted; remove the password and upload it again');
      total += entry.uncompressedSize;
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (total > limits.maxTotalUncompressed || (entry.uncompressedSize > limits.ratioFloorBytes && ratio > limits.maxRatio)) {
        throw new Rejection('This workbook expands to far more data than its size suggests (a "zip bomb"), so it was not opened');
      }
      entries.set(entry.fileName, entry);
    }
    return archive(zip, entries);
  } catch (err) {
    zip.close();
    if (err instanceof Rejection) throw err;
    throw new Rejection(DAMAGED);
  }
}

function archive(zip: ZipFile, entries: Map<string, Entry>) {
  async function open(name: string): Promise<Readable | null> {
    const entry = entries.get(name);
    if (!entry) return null;
    let raw: Readable;
    try {
      raw = await zip.openReadStreamPromise(entry);
    } catch {
      throw new Rejection(DAMAGED);
    }
    // Inflated bytes are counted, not the directory's claim: yauzl fails a part that inflates past its
    // declared size, and that (or corrupt deflate data) reaches readers as a Rejection, not a crash.
    const out = new PassThrough();
    raw.once('error', (err: Error) => out.destroy(new Rejection(/too many bytes/.test(err.message)
      ? `This workbook's part ${name} holds more data than the archive declares (a "zip bomb"), so it was not opened`
      : DAMAGED)));
    out.once('close', () => raw.destroy());
    raw.pipe(out);
    return out;
  }
  return {
    names: [...entries.keys()],
    has: (name: string) => entries.has(name),
    open,
    /** A whole part as text, refused when it declares more than `maxBytes` (parts read whole must stay small). */
    async readText(name: string, maxBytes: number): Promise<string | null> {
      const entry = entries.get(name);
      if (!entry) return null;
      if (entry.uncompressedSize > maxBytes) throw new Rejection(`This workbook's part ${name} is larger than allowed`);
      const stream = await open(name);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of stream!) chunks.push(chunk as Buffer);
      } catch (err) {
        throw err instanceof Rejection ? err : new Rejection(DAMAGED);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    close: () => zip.close(),
  };
}
export type ZipArchive = ReturnType<typeof archive>;
