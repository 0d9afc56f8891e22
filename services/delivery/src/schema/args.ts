import { ArgsType, Field, ID, Int } from 'type-graphql';
import type { DeliveryStatus } from '../store/entities.js';
import { DeliveryStatusEnum } from './types.js';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
export class DeliveriesArgs extends PageArgs {
  @Field(() => ID, { nullable: true }) executionId?: string | null;
  @Field(() => DeliveryStatusEnum, { nullable: true }) status?: DeliveryStatus | null;
}
