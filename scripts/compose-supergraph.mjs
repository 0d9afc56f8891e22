// npm run supergraph: writes gateway/supergraph.graphql (run after `npm run build`).
import { writeFile } from 'node:fs/promises';
import { composeSupergraph } from './supergraph-lib.mjs';

const path = new URL('../gateway/supergraph.graphql', import.meta.url);
await writeFile(path, await composeSupergraph());
console.log(`wrote ${path.pathname}`);
