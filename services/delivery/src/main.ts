import { createInternalTokens, createLogger, createOrm, loadEnv, onShutdown } from '@rowline/kit';
import { deliveryEnv } from './env.js';
import { entities } from './store/entities.js';
import { migrations } from './store/migrations/index.js';
import { createDeliveryService, SCHEMA, SERVICE } from './service.js';

const env = loadEnv(deliveryEnv);
const logger = createLogger({ service: SERVICE, level: env.LOG_LEVEL });
const orm = await createOrm({ url: env.DATABASE_URL, schema: SCHEMA, entities, migrations, logger });
const { server } = await createDeliveryService({
  logger,
  orm,
  tokens: createInternalTokens(env.INTERNAL_TOKEN_SECRET),
  secretKey: env.DELIVERY_SECRET_KEY,
  hosts: { production: env.NODE_ENV === 'production', devAllowedHosts: env.DELIVERY_DEV_ALLOWED_HOSTS },
});
const port = await server.listen(env.PORT, env.HOST);
logger.info({ port }, 'delivery subgraph listening');
onShutdown(logger, [
  { name: 'orm', stop: () => orm.close() },
  { name: 'http', stop: () => server.close() },
]);
