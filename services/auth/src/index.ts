export { createAuthService, SERVICE, SCHEMA, JWKS_PATH } from './service.js';
export { authEnv } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildAuthSchema } from './schema/index.js';
export { hashPassword, verifyPassword, DEFAULT_PARAMS as PASSWORD_PARAMS } from './domain/passwords.js';
export { rotateSigningKey } from './domain/signing-keys.js';
export { API_KEY_USAGE_PATH, API_KEY_VERIFY_PATH } from './http/api-key-verify.js';
export { API_KEY_SCOPES, deriveApiKeySecret } from './domain/api-keys.js';
