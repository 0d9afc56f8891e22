export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { gatewayEnv, SUBGRAPHS, type SubgraphName } from './env.js';
export { loadSupergraph, DEFAULT_SUPERGRAPH_PATH } from './supergraph.js';
export { PARTNER_PATH, loadPartnerSupergraph, DEFAULT_PARTNER_SUPERGRAPH_PATH, type PartnerOptions } from './partner/endpoint.js';
