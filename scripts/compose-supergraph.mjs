// npm run supergraph: writes gateway/supergraph.graphql, its copy k8s/base/supergraph.graphql and the partner
// contract (run after `npm run build`).
import { writeFile } from 'node:fs/promises';
import { composePartnerSupergraph, composeSupergraph } from './supergraph-lib.mjs';

const write = async (file, text) => {
  const path = new URL(`../gateway/${file}`, import.meta.url);
  await writeFile(path, text);
  console.log(`wrote ${path.pathname}`);
};
const partner = await composePartnerSupergraph();
await write('supergraph.graphql', await composeSupergraph());
await write('partner-supergraph.graphql', partner.supergraph);
await write('partner-schema.graphql', partner.api);
// Kustomize reads only inside k8s/base: the gateway's ConfigMap is generated from this copy.
await writeFile(new URL('../k8s/base/supergraph.graphql', import.meta.url), await composeSupergraph());
