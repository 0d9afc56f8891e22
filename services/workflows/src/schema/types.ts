import { GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@rowline/kit';

export enum WorkflowStatus { ACTIVE = 'ACTIVE', ARCHIVED = 'ARCHIVED' }
registerEnumType(WorkflowStatus, { name: 'WorkflowStatus' });

@ObjectType({ description: 'One step of a workflow: a rule type and its parameters (see ruleTypes).' })
export class Step {
  @Directive('@tag(name: "partner")')
  @Field(() => String) type!: string;
  @Directive('@tag(name: "partner")')
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
  @Directive('@tag(name: "partner")')
  @Field(() => ID) id!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => Int) number!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => [Step]) steps!: Step[];
  @Directive('@tag(name: "partner")')
  @Field(() => String) note!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => Date) createdAt!: Date;
  workflowId!: string;
}

@ObjectType('Workflow')
@Directive('@key(fields: "id")')
export class WorkflowType {
  @Directive('@tag(name: "partner")')
  @Field(() => ID) id!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => String) name!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => String) description!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => WorkflowStatus) status!: WorkflowStatus;
  @Directive('@tag(name: "partner")')
  @Field(() => Date) createdAt!: Date;
  @Directive('@tag(name: "partner")')
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
export class UpdateWorkflowInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: '1 to 200 characters, trimmed.' }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'At most 2,000 characters; an empty string clears it.' }) description?: string | null;
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

export enum StepChangeKind { ADDED = 'ADDED', REMOVED = 'REMOVED', CHANGED = 'CHANGED' }
registerEnumType(StepChangeKind, {
  name: 'StepChangeKind',
  description: 'Steps are aligned by position: a different type at the same index is a REMOVED and an ADDED.',
});

@ObjectType({ description: 'One step that differs between two versions.' })
export class StepChange {
  @Field(() => StepChangeKind) kind!: StepChangeKind;
  @Field(() => Int, { description: 'The step\'s index in the newer list, or in the older one for a removed step.' }) index!: number;
  @Field(() => Int, { nullable: true }) fromIndex!: number | null;
  @Field(() => Int, { nullable: true }) toIndex!: number | null;
  @Field(() => String) type!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The step\'s params in `from`; null for an added step.' }) before!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The step\'s params in `to`; null for a removed step.' }) after!: unknown;
  @Field(() => [String], { description: 'The params paths that differ, such as `where.all[1].value`.' }) paths!: string[];
}

@ObjectType()
export class WorkflowDiff {
  @Field(() => WorkflowVersionType) from!: WorkflowVersionType;
  @Field(() => WorkflowVersionType) to!: WorkflowVersionType;
  @Field(() => [StepChange], { description: 'In index order; empty when the steps are equal.' }) changes!: StepChange[];
}

// The same input type as the executions subgraph's (one type in the supergraph): keep the two alike.
@InputType({ description: 'A file given to a run (or a preview) besides its input: steps read it by `key` (a lookup\'s `from.file`, a header_row\'s `file`).' })
export class RunFileInput {
  @Field(() => String, { description: 'The key the steps read the file by (1 to 200 characters; unique among the files given).' }) key!: string;
  @Field(() => ID, { description: 'A READY file of yours.' }) fileId!: string;
}

@InputType()
export class PreviewWorkflowInput {
  @Field(() => [StepInput], { nullable: true, description: 'A draft to preview; give this or versionId.' }) steps?: StepInput[] | null;
  @Field(() => ID, { nullable: true, description: 'A saved version to preview; give this or steps.' }) versionId?: string | null;
  @Field(() => ID, { description: 'A READY file of yours.' }) fileId!: string;
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'Rows read from each input sheet and shown per sheet (1..200).' }) limit?: number | null;
  @Field(() => [RunFileInput], { nullable: true, description: 'Other files the steps read (a lookup to another file), at most 10, each under its key, as startExecution takes them.' })
  files?: RunFileInput[] | null;
}

@ObjectType()
export class PreviewSheet {
  @Field(() => String) name!: string;
  @Field(() => [String]) columns!: string[];
  // Cells are nullable: an empty cell (a blank, or a formula with no cached value) is null. type-graphql
  // cannot make only the innermost items nullable, so each row is nullable too (never null in practice).
  @Field(() => [[GraphQLJSON]], { nullable: 'items', description: 'Cells aligned with columns; an empty cell is null; dates as ISO 8601 text.' }) rows!: unknown[][];
}

@ObjectType()
export class PreviewStep {
  @Field(() => Int) index!: number;
  @Field(() => String) type!: string;
  @Field(() => Int) rowsIn!: number;
  @Field(() => Int) rowsOut!: number;
  @Field(() => [PreviewSheet], { description: 'The first rows of each sheet the step wrote.' }) sheets!: PreviewSheet[];
}

@ObjectType()
export class WorkflowPreview {
  @Field(() => [PreviewStep]) steps!: PreviewStep[];
}
