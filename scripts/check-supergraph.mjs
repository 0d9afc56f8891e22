// Fails when gateway/supergraph.graphql is not what the subgraphs compose to today.
import { readFile } from 'node:fs/promises';
import { composeSupergraph } from './supergraph-lib.mjs';

const path = new URL('../gateway/supergraph.graphql', import.meta.url);
const [current, fresh] = await Promise.all([readFile(path, 'utf8').catch(() => ''), composeSupergraph()]);
if (current !== fresh) {
  console.error('gateway/supergraph.graphql is stale: run `npm run build && npm run supergraph` and commit the result.');
  process.exit(1);
}
console.log('supergraph is current');
