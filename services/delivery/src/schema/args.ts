import { ArgsType, Directive, Field, ID, Int } from 'type-graphql';
import type { DeliveryStatus } from '../store/entities.js';
import { DeliveryStatusEnum } from './types.js';

@ArgsType()
export class PageArgs {
  @Directive('@tag(name: "partner")')
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Directive('@tag(name: "partner")')
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class DeliveriesArgs extends PageArgs {
  @Directive('@tag(name: "partner")')
  @Field(() => ID, { nullable: true }) executionId?: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => DeliveryStatusEnum, { nullable: true }) status?: DeliveryStatus | null;
}
