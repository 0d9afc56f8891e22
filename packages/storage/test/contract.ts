import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type Storage } from '@rowline/storage';

export type ContractSubject = { storage: Storage; cleanup(): Promise<void> };

const MiB = 1024 * 1024;

/** A stream of `total` random bytes made on the fly (never held whole), and the hash of what it produced. */
export function generatedStream(total: number, chunk = MiB): { stream: Readable; sha256(): string } {
  const hash = createHash('sha256');
  let left = total;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const piece = randomBytes(Math.min(chunk, left));
      left -= piece.length;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * What every Storage driver must do, run against each driver on a real backend. `largeBytes` is the size
 * of the streamed object that exercises the driver's large-object path (multipart for S3).
 */
export function storageContract(name: string, make: () => Promise<ContractSubject>, opts: { largeBytes: number }): void {
  describe(`${name}: the Storage contract`, () => {
    let subject: ContractSubject;
    let s: Storage;
    beforeAll(async () => { subject = await make(); s = subject.storage; });
    afterAll(() => subject?.cleanup());

    it('stores an object and reads back the same bytes with size and sha256', async () => {
      const put = await s.put('t1/files/a.csv', Readable.from(['a,b\n', '1,2\n']), { contentType: 'text/csv' });
      expect(put).toEqual({ key: 't1/files/a.csv', size: 8, sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex') });
      expect(await text(await s.get('t1/files/a.csv'))).toBe('a,b\n1,2\n');
      expect(await s.stat('t1/files/a.csv')).toEqual({ size: 8 });
    });

    it('replaces an object written again under the same key', async () => {
      await s.put('t1/replaced', Readable.from(['first version']));
      await s.put('t1/replaced', Readable.from(['second']));
      expect(await text(await s.get('t1/replaced'))).toBe('second');
      expect(await s.stat('t1/replaced')).toEqual({ size: 6 });
    });

    it('stores an empty object', async () => {
      const put = await s.put('t1/empty', Readable.from([]));
      expect(put.size).toBe(0);
      expect(await s.stat('t1/empty')).toEqual({ size: 0 });
    });

    it('refuses an object over the size cap and leaves nothing behind', async () => {
      const big = generatedStream(12 * MiB);
      await expect(s.put('t1/big', big.stream, { maxBytes: 5 * MiB + 3 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
      expect(await s.stat('t1/big')).toBeNull();
    });

    it('leaves nothing behind when the source stream fails midway', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(MiB));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(s.put('t1/broken', failing)).rejects.toThrow('client went away');
      expect(await s.stat('t1/broken')).toBeNull();
    });

    it('refuses keys that could escape the root or the prefix', async () => {
      for (const key of ['../x', 't1/../../etc/passwd', '/abs', 't1//x', '']) {
        await expect(s.put(key, Readable.from(['x']))).rejects.toMatchObject({ code: 'BAD_KEY' });
        await expect(s.get(key)).rejects.toMatchObject({ code: 'BAD_KEY' });
      }
    });

    it('answers NOT_FOUND for a missing object, null for its stat, and deletes idempotently', async () => {
      await expect(s.get('t1/none')).rejects.toBeInstanceOf(StorageError);
      await expect(s.get('t1/none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await s.stat('t1/none')).toBeNull();
      await s.put('t1/gone', Readable.from(['bye']));
      await s.delete('t1/gone');
      await s.delete('t1/gone');
      expect(await s.stat('t1/gone')).toBeNull();
      await expect(s.get('t1/gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it(`streams a ${Math.round(opts.largeBytes / MiB)} MiB object generated on the fly and reads back every byte`, async () => {
      const large = generatedStream(opts.largeBytes);
      const put = await s.put('t1/large.bin', large.stream);
      expect(put.size).toBe(opts.largeBytes);
      expect(put.sha256).toBe(large.sha256());
      expect(await s.stat('t1/large.bin')).toEqual({ size: opts.largeBytes });
      expect(await sha256Of(await s.get('t1/large.bin'))).toEqual({ size: opts.largeBytes, sha256: put.sha256 });
    }, 120_000);
  });
}
