import { buildSubgraph, isUuid, notFound } from '@rowline/kit';
import type { DeliveriesDomain } from '../domain/deliveries.js';
import type { DestinationsDomain } from '../domain/destinations.js';
import type { RoutesDomain } from '../domain/routes.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { DestinationKind } from '../store/entities.js';
import type { Transport } from '../transports/types.js';
import { DeliveryResolver, ExecutionDeliveriesResolver } from './delivery.resolver.js';
import { DestinationResolver, DestinationRoutesResolver, RouteResolver, WorkflowRoutesResolver } from './destination.resolver.js';
import { ExecutionRef, WorkflowRef } from './types.js';

export function buildDeliverySchema(deps: {
  destinations: DestinationsDomain; routes: RoutesDomain; deliveries: DeliveriesDomain; transports: Record<DestinationKind, Transport>; box: SecretBox;
}) {
  return buildSubgraph({
    resolvers: [
      new DestinationResolver(deps.destinations, deps.transports, deps.box),
      new RouteResolver(deps.routes, deps.destinations),
      new WorkflowRoutesResolver(deps.routes),
      new DestinationRoutesResolver(deps.routes),
      new DeliveryResolver(deps.deliveries, deps.destinations),
      new ExecutionDeliveriesResolver(deps.deliveries),
    ],
    orphanedTypes: [ExecutionRef, WorkflowRef],
    references: {
      Destination: { permission: 'destinations:read', resolve: (ref, ctx) => deps.destinations.get(ctx.em, ref.id) },
      Delivery: { permission: 'deliveries:read', resolve: (ref, ctx) => deps.deliveries.get(ctx.em, ref.id) },
      // Executions live in another subgraph: any well-formed id is a run whose deliveries (maybe none) we can
      // list, and the tenant filter on `deliveries` keeps other tenants' runs empty.
      // Only `routes` is resolved here, and the tenant filter keeps other tenants' workflows empty.
      Workflow: {
        permission: 'destinations:read',
        resolve: (ref) => {
          if (!isUuid(ref.id)) throw notFound('Workflow', ref.id);
          return { id: ref.id };
        },
      },
      Execution: {
        permission: 'deliveries:read',
        resolve: (ref) => {
          if (!isUuid(ref.id)) throw notFound('Execution', ref.id);
          return { id: ref.id };
        },
      },
    },
  });
}
