export { createDeliveryService, SERVICE, SCHEMA, type DeliveryServiceDeps } from './service.js';
export { deliveryEnv, deliverySettingsEnv, deliverySettings, DEV_HOSTS_NOT_IN_PRODUCTION, type DeliverySettings } from './env.js';
export type { RetrySchedule } from './domain/retry-policy.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildDeliverySchema } from './schema/index.js';
export { createSecretBox, secretContext } from './domain/secret-box.js';
