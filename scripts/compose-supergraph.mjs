// npm run supergraph: writes gateway/supergraph.graphql and its copy k8s/base/supergraph.graphql (run after `npm run build`).
import { writeFile } from 'node:fs/promises';
import { composeSupergraph } from './supergraph-lib.mjs';

const path = new URL('../gateway/supergraph.graphql', import.meta.url);
const supergraph = await composeSupergraph();
await writeFile(path, supergraph);
// Kustomize reads only inside k8s/base: the gateway's ConfigMap is generated from this copy.
await writeFile(new URL('../k8s/base/supergraph.graphql', import.meta.url), supergraph);
console.log(`wrote ${path.pathname}`);
