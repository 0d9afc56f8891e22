import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@rowline/kit';
import type { AttemptOutcome, DeliveryStatus, DestinationKind } from '../store/entities.js';

// Enums mirror the store's string unions; these records fail to compile if the two drift apart.
export const DestinationKindEnum: Record<DestinationKind, DestinationKind> = { WEBHOOK: 'WEBHOOK', SFTP: 'SFTP', FTP: 'FTP', S3: 'S3', EMAIL: 'EMAIL' };
export const DeliveryStatusEnum: Record<DeliveryStatus, DeliveryStatus> = {
  PENDING: 'PENDING', IN_PROGRESS: 'IN_PROGRESS', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', DEAD: 'DEAD',
};
const outcomes: Record<AttemptOutcome, AttemptOutcome> = { SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', TIMED_OUT: 'TIMED_OUT' };
registerEnumType(DestinationKindEnum, { name: 'DestinationKind' });
registerEnumType(DeliveryStatusEnum, { name: 'DeliveryStatus' });
registerEnumType(outcomes, { name: 'DeliveryAttemptOutcome' });

@ObjectType('Destination', { description: 'Where artifacts are delivered. Secrets in its config are write-only.' })
@Directive('@key(fields: "id")')
export class DestinationType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => DestinationKindEnum) kind!: DestinationKind;
  @Field(() => Boolean) enabled!: boolean;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType()
export class DestinationConnection extends Connection(DestinationType, 'Destination') {}

@InputType()
export class CreateDestinationInput {
  @Field(() => String) name!: string;
  @Field(() => DestinationKindEnum) kind!: DestinationKind;
  @Field(() => GraphQLJSON, { description: 'Fields by kind; secret fields are stored encrypted and never returned.' })
  config!: unknown;
}

@InputType()
export class UpdateDestinationInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Replaces the config. A secret left out or sent back as "********" keeps its value; null removes it.',
  })
  config?: unknown;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
}

@InputType()
export class DetachDestinationInput {
  @Field(() => ID) workflowId!: string;
  @Field(() => ID) destinationId!: string;
}

/** Workflow is owned by the workflows subgraph; this one only adds `routes` to it. */
@ObjectType('Workflow')
@Directive('@key(fields: "id")')
export class WorkflowRef {
  @Field(() => ID) id!: string;
}

@ObjectType('Route', { description: 'Sends the artifacts of a workflow\'s runs that match a pattern to a destination.' })
export class RouteType {
  @Field(() => ID) id!: string;
  @Field(() => ID) workflowId!: string;
  @Field(() => String) artifactPattern!: string;
  @Field(() => String) fileNameTemplate!: string;
  @Field(() => Date) createdAt!: Date;
  destinationId!: string;
}

@ObjectType()
export class RouteConnection extends Connection(RouteType, 'Route') {}

@InputType()
export class AttachDestinationInput {
  @Field(() => ID) workflowId!: string;
  @Field(() => ID) destinationId!: string;
  @Field(() => String, { nullable: true, description: 'A glob over artifact names; default "*".' }) artifactPattern?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The delivered file name; placeholders {name} {stem} {ext} {executionId} {workflowId} {date}; {ext} has no dot ("{stem}-{date}.{ext}"); default "{name}".',
  })
  fileNameTemplate?: string | null;
}

@ObjectType('DeliveryAttempt')
export class DeliveryAttemptType {
  @Directive('@tag(name: "partner")')
  @Field(() => Date) at!: Date;
  @Directive('@tag(name: "partner")')
  @Field(() => outcomes) outcome!: AttemptOutcome;
  @Directive('@tag(name: "partner")')
  @Field(() => String, { nullable: true }) error!: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Int) durationMs!: number;
}

@ObjectType('Delivery', { description: 'One artifact of one run on its way to one destination.' })
@Directive('@key(fields: "id")')
export class DeliveryType {
  @Directive('@tag(name: "partner")')
  @Field(() => ID) id!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => DeliveryStatusEnum) status!: DeliveryStatus;
  @Directive('@tag(name: "partner")')
  @Field(() => String) artifactName!: string;
  @Field(() => String, { description: 'The name it is delivered under, from the route\'s template.' }) fileName!: string;
  @Field(() => ID) executionId!: string;
  @Field(() => Int, { description: 'Attempts since it was recorded or last redelivered.' }) attemptCount!: number;
  @Field(() => String, { nullable: true, description: 'The last failed attempt\'s error, as `STAGE: message`.' }) lastError!: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Date, { nullable: true }) nextAttemptAt!: Date | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Date) createdAt!: Date;
  destinationId!: string;
}

@ObjectType('DestinationTestResult', { description: 'What a real connection to the destination found.' })
export class DestinationTestResultType {
  @Field(() => Boolean) ok!: boolean;
  @Field(() => String, { nullable: true, description: 'Where it failed: DNS, SSRF, CONNECT, TLS, AUTH, HOST_KEY, REMOTE, HTTP, TIMEOUT, CONFIG, or INTERNAL (the platform\'s own trouble).' })
  stage!: string | null;
  @Field(() => String, { nullable: true }) message!: string | null;
  @Field(() => Int) durationMs!: number;
}

@ObjectType()
export class DeliveryConnection extends Connection(DeliveryType, 'Delivery') {}

/** Execution is owned by the executions subgraph; this one only adds `deliveries` to it. */
@ObjectType('Execution')
@Directive('@key(fields: "id")')
export class ExecutionRef {
  @Field(() => ID) id!: string;
}
