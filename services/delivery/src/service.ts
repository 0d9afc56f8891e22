import { createServiceServer, migrate, type InternalTokens, type Logger, type Orm } from '@rowline/kit';
import { createConfigParser } from './domain/configs.js';
import { createDeliveriesDomain } from './domain/deliveries.js';
import { createDestinationsDomain } from './domain/destinations.js';
import { createHostPolicy } from './domain/host-policy.js';
import { createRoutesDomain } from './domain/routes.js';
import { createSecretBox } from './domain/secret-box.js';
import { buildDeliverySchema } from './schema/index.js';

export const SERVICE = 'delivery';
export const SCHEMA = 'delivery';

export type DeliveryServiceDeps = {
  logger: Logger;
  orm: Orm;
  tokens: InternalTokens;
  /** AES-256 key sealing destination secrets (32 bytes). */
  secretKey: Buffer;
  /** Local or private hosts destinations may name in development; ignored in production. Default: none. */
  hosts?: { production: boolean; devAllowedHosts: string[] };
  exposeInternalErrors?: boolean;
};

/** Wires the delivery subgraph from its dependencies; `main.ts` and the embedded runner both use it. */
export async function createDeliveryService(deps: DeliveryServiceDeps) {
  await migrate(deps.orm, SCHEMA);
  const box = createSecretBox(deps.secretKey);
  const parseConfig = createConfigParser(createHostPolicy(deps.hosts ?? { production: true, devAllowedHosts: [] }));
  const destinations = createDestinationsDomain({ parseConfig, box });
  const routes = createRoutesDomain({ destinations });
  const deliveries = createDeliveriesDomain();
  const schema = await buildDeliverySchema({ destinations, routes, deliveries });
  const server = await createServiceServer({
    name: SERVICE,
    logger: deps.logger,
    schema,
    orm: deps.orm,
    tokens: deps.tokens,
    exposeInternalErrors: deps.exposeInternalErrors,
  });
  return { server, destinations, routes, deliveries };
}
