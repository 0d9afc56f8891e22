import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** Operations registered ahead of time, by the sha256 (hex) of their text. */
export type Safelist = {
  operations: ReadonlyMap<string, string>;
  /** When enforced, any operation not in the list is refused; otherwise the list only resolves hashes. */
  enforce: boolean;
};

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Whether the list lets this operation text run: anything when not enforced, else only registered texts. */
export const allowsText = (safelist: Safelist | undefined, query: string): boolean =>
  !safelist?.enforce || safelist.operations.has(sha256Hex(query));

/**
 * Reads an Apollo persisted-query manifest (`{format: "apollo-persisted-query-manifest", version: 1,
 * operations: [{id, name, type, body}]}`, as `generate-persisted-query-manifest` writes it). Every id must
 * be the sha256 of its body: a list that does not hash to itself is refused at start, not at request time.
 */
export async function loadSafelist(path: string, enforce: boolean): Promise<Safelist> {
  const manifest = JSON.parse(await readFile(path, 'utf8')) as { format?: string; operations?: Array<{ id?: string; body?: string }> };
  if (manifest.format !== 'apollo-persisted-query-manifest' || !Array.isArray(manifest.operations)) {
    throw new Error(`${path} is not an apollo-persisted-query-manifest`);
  }
  const operations = new Map<string, string>();
  for (const op of manifest.operations) {
    if (typeof op.body !== 'string' || typeof op.id !== 'string') throw new Error(`${path}: every operation needs an id and a body`);
    if (sha256Hex(op.body) !== op.id.toLowerCase()) throw new Error(`${path}: operation ${op.id} is not the sha256 of its body`);
    operations.set(op.id.toLowerCase(), op.body);
  }
  return { operations, enforce };
}
