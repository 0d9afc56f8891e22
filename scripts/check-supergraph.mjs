// Fails when the checked-in supergraph or partner contract is not what the subgraphs compose to today.
import { readFile } from 'node:fs/promises';
import { composePartnerSupergraph, composeSupergraph } from './supergraph-lib.mjs';

const partner = await composePartnerSupergraph();
const expected = {
  'supergraph.graphql': await composeSupergraph(),
  'partner-supergraph.graphql': partner.supergraph,
  'partner-schema.graphql': partner.api,
};
let stale = false;
for (const [file, fresh] of Object.entries(expected)) {
  const current = await readFile(new URL(`../gateway/${file}`, import.meta.url), 'utf8').catch(() => '');
  if (current !== fresh) {
    console.error(`gateway/${file} is stale: run \`npm run build && npm run supergraph\` and commit the result.`);
    stale = true;
  }
}
if (stale) process.exit(1);
console.log('supergraph and partner contract are current');
