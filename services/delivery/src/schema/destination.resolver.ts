import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import { visibleConfig, type DestinationsDomain } from '../domain/destinations.js';
import type { RoutesDomain } from '../domain/routes.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { Destination, DestinationKind } from '../store/entities.js';
import { asTransportError } from '../transports/errors.js';
import type { Transport } from '../transports/types.js';
import { openDestination } from '../worker/deliver-one.js';
import { PageArgs } from './args.js';
import {
  AttachDestinationInput, CreateDestinationInput, DestinationConnection, DestinationTestResultType, DestinationType, DetachDestinationInput, RouteConnection, RouteType,
  UpdateDestinationInput, WorkflowRef,
} from './types.js';

@Resolver(() => DestinationType)
export class DestinationResolver {
  constructor(
    private readonly domain: DestinationsDomain,
    private readonly transports: Record<DestinationKind, Transport>,
    private readonly box: SecretBox,
  ) {}

  @Authorized('destinations:write')
  @Mutation(() => DestinationTestResultType, {
    description: 'Connects and authenticates to the destination as a delivery would (a webhook gets a signed `destination.test` POST), and says where it failed.',
  })
  async testDestination(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext): Promise<DestinationTestResultType> {
    const destination = await this.domain.get(ctx.em, id);
    const started = performance.now();
    try {
      await this.transports[destination.kind].probe(openDestination(this.box, destination));
      return { ok: true, stage: null, message: null, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      // Only a TransportError's message is the caller's to read (asTransportError); the rest is the log's.
      const failure = asTransportError(err);
      if (failure.cause !== undefined) ctx.logger.warn({ err: failure.cause, destinationId: id }, 'testDestination failed');
      return { ok: false, stage: failure.stage, message: failure.message, durationMs: Math.round(performance.now() - started) };
    }
  }

  @Authorized('destinations:read')
  @Query(() => DestinationConnection, { description: 'The tenant\'s destinations, oldest first.' })
  async destinations(@Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.list(ctx.em, { first: size, after: page.after }), size, page.after);
  }

  @Authorized('destinations:read')
  @Query(() => DestinationType)
  destination(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.get(ctx.em, id);
  }

  @Authorized('destinations:write')
  @Mutation(() => DestinationType)
  createDestination(@Arg('input', () => CreateDestinationInput) input: CreateDestinationInput, @Ctx() ctx: AuthedContext) {
    return this.domain.create(ctx.em, ctx.principal, input);
  }

  @Authorized('destinations:write')
  @Mutation(() => DestinationType)
  updateDestination(@Arg('input', () => UpdateDestinationInput) input: UpdateDestinationInput, @Ctx() ctx: AuthedContext) {
    return this.domain.update(ctx.em, input);
  }

  @Authorized('destinations:write')
  @Mutation(() => ID, { description: 'Deletes the destination and its routes; past deliveries stay in the ledger.' })
  deleteDestination(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.remove(ctx.em, id);
  }

  @FieldResolver(() => GraphQLJSON, { description: 'Settings by kind; each stored secret reads "********".' })
  config(@Root() destination: Destination) {
    return visibleConfig(destination);
  }

  @FieldResolver(() => Boolean, { description: 'Whether any secret (password, key, signing secret) is stored.' })
  hasSecret(@Root() destination: Destination) {
    return destination.secretFields.length > 0;
  }
}

@Resolver(() => RouteType)
export class RouteResolver {
  constructor(private readonly routes: RoutesDomain, private readonly destinations: DestinationsDomain) {}

  @Authorized('destinations:write')
  @Mutation(() => RouteType, { description: 'Routes a workflow\'s artifacts to a destination; attaching again updates the route.' })
  attachDestination(@Arg('input', () => AttachDestinationInput) input: AttachDestinationInput, @Ctx() ctx: AuthedContext) {
    return this.routes.attach(ctx.em, ctx.principal, input);
  }

  @Authorized('destinations:write')
  @Mutation(() => ID, {
    description: 'Stops sending a workflow\'s artifacts to a destination; answers the removed route\'s id. Deliveries already recorded go on.',
  })
  detachDestination(@Arg('input', () => DetachDestinationInput) input: DetachDestinationInput, @Ctx() ctx: AuthedContext) {
    return this.routes.detach(ctx.em, ctx.principal, input);
  }

  @FieldResolver(() => DestinationType)
  destination(@Root() route: RouteType, @Ctx() ctx: AuthedContext) {
    return this.destinations.get(ctx.em, route.destinationId);
  }

  @FieldResolver(() => WorkflowRef)
  workflow(@Root() route: RouteType): WorkflowRef {
    return { id: route.workflowId };
  }
}

/** Adds `routes` to the workflows subgraph's Workflow: where its runs' artifacts are sent. */
@Resolver(() => WorkflowRef)
export class WorkflowRoutesResolver {
  constructor(private readonly domain: RoutesDomain) {}

  @Authorized('destinations:read')
  @FieldResolver(() => RouteConnection, { description: 'Where this workflow\'s artifacts are delivered, oldest route first.' })
  async routes(@Root() workflow: WorkflowRef, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.forWorkflow(ctx.em, workflow.id, { first: size, after: page.after }), size, page.after);
  }
}

/** The routes of a destination: which workflows send to it (worth a look before deleting it). */
@Resolver(() => DestinationType)
export class DestinationRoutesResolver {
  constructor(private readonly domain: RoutesDomain) {}

  @Authorized('destinations:read')
  @FieldResolver(() => RouteConnection, { description: 'The workflows whose artifacts go to this destination, oldest route first.' })
  async routes(@Root() destination: Destination, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.forDestination(ctx.em, destination.id, { first: size, after: page.after }), size, page.after);
  }
}
