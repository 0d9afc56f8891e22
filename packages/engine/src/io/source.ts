import { EngineError } from '../errors.js';

/**
 * The error of a read of `fileName` that its stream failed (not its content): the stream's own error is the
 * cause, and its message follows. Whether such a source may work another time (storage briefly away) only
 * the caller knows: it finds its own error there (the executions worker marks its storage streams' errors so).
 */
export const readFailed = (fileName: string, e: unknown) =>
  new EngineError('UNSUPPORTED_FILE', `cannot read ${fileName}: ${(e as Error).message}`, { cause: e });

/** The chunks of a source stream, its errors reported as readFailed. */
export async function* sourceChunks(source: AsyncIterable<unknown>, fileName: string): AsyncGenerator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await iterator.next();
    } catch (e) {
      throw readFailed(fileName, e);
    }
    if (next.done) return;
    yield next.value;
  }
}
