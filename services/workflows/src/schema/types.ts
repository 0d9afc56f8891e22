import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@rowline/kit';

export enum WorkflowStatus { ACTIVE = 'ACTIVE', ARCHIVED = 'ARCHIVED' }
registerEnumType(WorkflowStatus, { name: 'WorkflowStatus' });

@ObjectType({ description: 'One step of a workflow: a rule type and its parameters (see ruleTypes).' })
export class Step {
  @Field(() => String) type!: string;
  @Field(() => GraphQLJSON) params!: Record<string, unknown>;
}

@InputType()
export class StepInput {
  @Field(() => String) type!: string;
  @Field(() => GraphQLJSON) params!: Record<string, unknown>;
}

@ObjectType('WorkflowVersion', { description: 'An immutable snapshot of a workflow\'s steps.' })
@Directive('@key(fields: "id")')
export class WorkflowVersionType {
  @Field(() => ID) id!: string;
  @Field(() => Int) number!: number;
  @Field(() => [Step]) steps!: Step[];
  @Field(() => String) note!: string;
  @Field(() => Date) createdAt!: Date;
  workflowId!: string;
}

@ObjectType('Workflow')
@Directive('@key(fields: "id")')
export class WorkflowType {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
  @Field(() => WorkflowStatus) status!: WorkflowStatus;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  latestVersionId!: string | null;
}

@ObjectType()
export class WorkflowConnection extends Connection(WorkflowType, 'Workflow') {}
@ObjectType()
export class WorkflowVersionConnection extends Connection(WorkflowVersionType, 'WorkflowVersion') {}

@ObjectType()
export class CreateWorkflowPayload {
  @Field(() => WorkflowType) workflow!: WorkflowType;
  @Field(() => WorkflowVersionType) version!: WorkflowVersionType;
}

@InputType()
export class CreateWorkflowInput {
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [StepInput]) steps!: StepInput[];
}

@InputType()
export class SaveWorkflowVersionInput {
  @Field(() => ID) workflowId!: string;
  @Field(() => ID, { description: 'The version your edit started from; a stale base answers CONFLICT.' }) baseVersionId!: string;
  @Field(() => [StepInput]) steps!: StepInput[];
  @Field(() => String, { nullable: true }) note?: string | null;
}

@ObjectType()
export class StepIssue {
  @Field(() => String) path!: string;
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
}

@ObjectType()
export class RuleType {
  @Field(() => String) type!: string;
  @Field(() => String) title!: string;
  @Field(() => String) description!: string;
  @Field(() => GraphQLJSON, { description: 'JSON Schema of the step\'s params' }) paramsSchema!: object;
}
