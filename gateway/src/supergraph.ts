import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The supergraph composed ahead of time by `npm run supergraph` and checked in; CI proves it current. */
export const DEFAULT_SUPERGRAPH_PATH = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));

export const loadSupergraph = (path = DEFAULT_SUPERGRAPH_PATH): Promise<string> => readFile(path, 'utf8');
