export { createAuthService, SERVICE, SCHEMA, JWKS_PATH } from './service.js';
export { authEnv } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildAuthSchema } from './schema/index.js';
export { hashPassword, verifyPassword, DEFAULT_PARAMS as PASSWORD_PARAMS } from './domain/passwords.js';
export { rotateSigningKey } from './domain/signing-keys.js';
