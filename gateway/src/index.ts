export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { gatewayEnv, SUBGRAPHS, type SubgraphName } from './env.js';
export { loadSupergraph, DEFAULT_SUPERGRAPH_PATH } from './supergraph.js';
