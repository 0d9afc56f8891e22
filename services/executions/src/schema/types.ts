import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '@rowline/kit';
import { PHASES, STATUSES } from '../domain/state-machine.js';

export enum ExecutionStatusEnum { PENDING = 'PENDING', QUEUED = 'QUEUED', RUNNING = 'RUNNING', SUCCEEDED = 'SUCCEEDED', FAILED = 'FAILED', CANCELLED = 'CANCELLED', TIMED_OUT = 'TIMED_OUT' }
export enum ExecutionPhaseEnum { INITIALIZING = 'INITIALIZING', READING = 'READING', TRANSFORMING = 'TRANSFORMING', VALIDATING = 'VALIDATING', WRITING = 'WRITING' }
registerEnumType(ExecutionStatusEnum, { name: 'ExecutionStatus', description: `Lifecycle: ${STATUSES.join(', ')}` });
registerEnumType(ExecutionPhaseEnum, { name: 'ExecutionPhase', description: `While RUNNING: ${PHASES.join(', ')}` });

// Entities owned by other subgraphs, referenced by id only (resolvable: false: this subgraph cannot
// resolve their other fields; the gateway asks their owners).
@ObjectType('File')
@Directive('@key(fields: "id", resolvable: false)')
export class FileRef { @Field(() => ID) id!: string; }

@ObjectType('WorkflowVersion')
@Directive('@key(fields: "id", resolvable: false)')
export class WorkflowVersionRef { @Field(() => ID) id!: string; }

@ObjectType('User')
@Directive('@key(fields: "id", resolvable: false)')
export class UserRef { @Field(() => ID) id!: string; }

/** Workflow is owned by the workflows subgraph; this subgraph adds `executions` to it. */
@ObjectType('Workflow')
@Directive('@key(fields: "id")')
export class WorkflowRef { @Field(() => ID) id!: string; }

@ObjectType()
export class ExecutionProgress {
  @Directive('@tag(name: "partner")')
  @Field(() => Float, { nullable: true, description: 'Null while the total is unknown.' }) percent!: number | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Float) rowsProcessed!: number;
}

@ObjectType()
export class ExecutionStep {
  @Directive('@tag(name: "partner")')
  @Field(() => Int) index!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => String) type!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => String) status!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => Float) rowsIn!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => Float) rowsOut!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => Int) durationMs!: number;
}

@ObjectType()
export class ExecutionLogLine {
  @Field(() => Date) at!: Date;
  @Field(() => String) level!: string;
  @Field(() => String) message!: string;
  @Field(() => Int, { nullable: true }) step!: number | null;
}

@ObjectType()
export class ExecutionError {
  @Directive('@tag(name: "partner")')
  @Field(() => String) code!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => String) message!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => Int, { nullable: true }) step!: number | null;
}

@ObjectType({ description: 'A file given to a run besides its input, under the key its steps read it by (a lookup\'s `from.file`).' })
export class RunFile {
  @Directive('@tag(name: "partner")')
  @Field(() => String) key!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => FileRef) file!: FileRef;
}

@ObjectType('Execution')
@Directive('@key(fields: "id")')
export class ExecutionType {
  @Directive('@tag(name: "partner")')
  @Field(() => ID) id!: string;
  @Directive('@tag(name: "partner")')
  @Field(() => ExecutionStatusEnum) status!: ExecutionStatusEnum;
  @Directive('@tag(name: "partner")')
  @Field(() => ExecutionPhaseEnum, { nullable: true }) phase!: ExecutionPhaseEnum | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Int, { description: 'Attempts so far (a worker crash or a transient failure adds one).' }) attempt!: number;
  @Directive('@tag(name: "partner")')
  @Field(() => Date) createdAt!: Date;
  @Directive('@tag(name: "partner")')
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Directive('@tag(name: "partner")')
  @Field(() => ID, { nullable: true, description: 'The run this one retries.' }) retryOf!: string | null;
  @Field(() => Int, { description: 'How long the run may take from its start before it ends TIMED_OUT.' }) timeoutSeconds!: number;
}

@ObjectType()
export class ExecutionConnection extends Connection(ExecutionType, 'Execution') {}

@InputType()
export class StartExecutionInput {
  @Field(() => ID) workflowVersionId!: string;
  @Field(() => ID) fileId!: string;
  @Field(() => String, { description: 'Same key, same run: retry the request safely.' }) idempotencyKey!: string;
  @Field(() => Int, { nullable: true, description: 'Ends the run TIMED_OUT if it has not finished this long after it started (1 to 86400; default 900).' })
  timeoutSeconds?: number | null;
  @Field(() => [RunFileInput], {
    nullable: true,
    description: 'Other files the steps read (a lookup to another file), at most 10, each under its key: every key the steps read, and no other.',
  })
  files?: RunFileInput[] | null;
}

@InputType({ description: 'A file given to a run (or a preview) besides its input: steps read it by `key` (a lookup\'s `from.file`, a header_row\'s `file`).' })
export class RunFileInput {
  @Field(() => String, { description: 'The key the steps read the file by (1 to 200 characters; unique among the files given).' }) key!: string;
  @Field(() => ID, { description: 'A READY file of yours.' }) fileId!: string;
}

@InputType()
export class RetryExecutionInput {
  @Field(() => ID) executionId!: string;
  @Field(() => Boolean, { defaultValue: false, description: 'Run the workflow\'s latest version rather than the one the old run used.' })
  useLatestVersion!: boolean;
  @Field(() => String, { nullable: true, description: 'Same key, same retry.' }) idempotencyKey?: string | null;
}

@InputType()
export class ExecutionFilterInput {
  @Directive('@tag(name: "partner")')
  @Field(() => ExecutionStatusEnum, { nullable: true }) status?: ExecutionStatusEnum | null;
  @Directive('@tag(name: "partner")')
  @Field(() => ID, { nullable: true }) workflowId?: string | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Date, { nullable: true }) from?: Date | null;
  @Directive('@tag(name: "partner")')
  @Field(() => Date, { nullable: true }) to?: Date | null;
}
