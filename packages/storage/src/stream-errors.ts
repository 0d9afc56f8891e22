import { PassThrough, type Readable } from 'node:stream';

/**
 * `source` (a stream storage gave) with its errors made `wrap(err)`. A stream that fails after storage opened it
 * (an S3 connection reset mid-body, a disk read error) is storage's trouble, as a failed open is; but a reader
 * such as the engine reports it as a file it cannot read, keeping the stream's error as its own error's cause.
 * Marking the stream's errors lets the caller, which knows storage, find its own error in that cause chain
 * (`causeOfType`) and tell storage's trouble from an unreadable file. Destroying the result destroys `source`
 * (a reader may stop early).
 */
export function withStreamErrors(source: Readable, wrap: (err: Error) => Error): Readable {
  const out = new PassThrough();
  source.once('error', (err) => out.destroy(wrap(err)));
  out.once('close', () => source.destroy());
  source.pipe(out);
  return out;
}

/** The first error of `type` in `err`'s chain of causes (at most five deep), `err` included. */
export function causeOfType<T extends Error>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof type) return e;
  return undefined;
}
