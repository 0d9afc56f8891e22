export { createDeliveryService, SERVICE, SCHEMA, type DeliveryServiceDeps } from './service.js';
export { deliveryEnv } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildDeliverySchema } from './schema/index.js';
export { createSecretBox, secretContext } from './domain/secret-box.js';
