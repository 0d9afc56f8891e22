import { Arg, Args, Authorized, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { appErrorOf, batchLoader, pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { DeliveriesDomain } from '../domain/deliveries.js';
import type { DestinationsDomain } from '../domain/destinations.js';
import type { Delivery, DeliveryAttempt } from '../store/entities.js';
import { DeliveriesArgs } from './args.js';
import { DeliveryAttemptType, DeliveryConnection, DeliveryType, DestinationType, ExecutionRef } from './types.js';

@Resolver(() => DeliveryType)
export class DeliveryResolver {
  /** One attempts loader per request, keyed by its context; gone with the request. */
  private readonly loaders = new WeakMap<AuthedContext, (deliveryId: string) => Promise<DeliveryAttempt[]>>();

  constructor(private readonly ledger: DeliveriesDomain, private readonly destinations: DestinationsDomain) {}

  @Authorized('deliveries:read')
  @Directive('@tag(name: "partner")')
  @Query(() => DeliveryConnection, { description: 'The delivery ledger, newest first.' })
  async deliveries(@Args(() => DeliveriesArgs) args: DeliveriesArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(args.first);
    return toConnection(await this.ledger.list(ctx.em, { ...args, first: size }), size, args.after);
  }

  @Authorized('deliveries:read')
  @Directive('@tag(name: "partner")')
  @Query(() => DeliveryType)
  delivery(@Directive('@tag(name: "partner")') @Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.ledger.get(ctx.em, id);
  }

  @Authorized('deliveries:write')
  @Mutation(() => DeliveryType, {
    description: 'Sends a delivery again now, with the same idempotency id (webhook-id); its attempts so far are kept. '
      + 'Refused (CONFLICT, `extensions.reason`) when its destination was deleted (DESTINATION_DELETED) or is disabled (DESTINATION_DISABLED), '
      + 'or when it is not finished (NOT_FINISHED).',
  })
  redeliver(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.ledger.redeliver(ctx.em, ctx.principal, id);
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => [DeliveryAttemptType], { description: 'Every try so far, oldest first.' })
  attempts(@Root() delivery: DeliveryType, @Ctx() ctx: AuthedContext) {
    let load = this.loaders.get(ctx);
    if (!load) {
      load = batchLoader((ids: readonly string[]) => this.ledger.attemptsOf(ctx.em, ids), [] as DeliveryAttempt[]);
      this.loaders.set(ctx, load);
    }
    return load(delivery.id);
  }

  @FieldResolver(() => DestinationType, { nullable: true, description: 'Null once the destination has been deleted.' })
  async destination(@Root() delivery: DeliveryType, @Ctx() ctx: AuthedContext) {
    try {
      return await this.destinations.get(ctx.em, delivery.destinationId);
    } catch (err) {
      if (appErrorOf(err)?.code === 'NOT_FOUND') return null;
      throw err;
    }
  }
}

/** Adds `deliveries` to the executions subgraph's Execution. */
@Resolver(() => ExecutionRef)
export class ExecutionDeliveriesResolver {
  /** One deliveries loader per request, keyed by its context: a page of runs is one `_entities` call, one query. */
  private readonly loaders = new WeakMap<AuthedContext, (executionId: string) => Promise<Delivery[]>>();

  constructor(private readonly ledger: DeliveriesDomain) {}

  @Authorized('deliveries:read')
  @Directive('@tag(name: "partner")')
  @FieldResolver(() => [DeliveryType], { description: 'Deliveries of this run\'s artifacts, oldest first.' })
  deliveries(@Root() execution: ExecutionRef, @Ctx() ctx: AuthedContext) {
    let load = this.loaders.get(ctx);
    if (!load) {
      load = batchLoader((ids: readonly string[]) => this.ledger.forExecutions(ctx.em, ids), [] as Delivery[]);
      this.loaders.set(ctx, load);
    }
    return load(execution.id.toLowerCase());
  }
}
