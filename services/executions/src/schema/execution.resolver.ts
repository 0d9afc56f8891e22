import { Arg, Authorized, Ctx, Directive, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { ExecutionsDomain } from '../domain/executions.js';
import type { Execution } from '../store/entities.js';
import {
  ExecutionConnection, ExecutionError, ExecutionFilterInput, ExecutionLogLine, ExecutionProgress, ExecutionStep,
  ExecutionType, FileRef, RetryExecutionInput, RunFile, StartExecutionInput, UserRef, WorkflowRef, WorkflowVersionRef,
} from './types.js';

@Resolver(() => ExecutionType)
export class ExecutionResolver {
  constructor(private readonly domain: ExecutionsDomain, private readonly cancel: (ctx: AuthedContext, id: string) => Promise<Execution>) {}

  @Authorized('executions:write')
  @Mutation(() => ExecutionType, { description: 'Starts a run of a workflow version on an uploaded file.' })
  startExecution(@Arg('input', () => StartExecutionInput) input: StartExecutionInput, @Ctx() ctx: AuthedContext) {
    return this.domain.start(ctx.em, ctx.principal, input);
  }

  @Authorized('executions:write')
  @Mutation(() => ExecutionType, { description: 'Starts a new run of an ended one on the same input file; the new run links to it (`retryOf`).' })
  retryExecution(@Arg('input', () => RetryExecutionInput) input: RetryExecutionInput, @Ctx() ctx: AuthedContext) {
    return this.domain.retry(ctx.em, ctx.principal, input);
  }

  @Authorized('executions:write')
  @Mutation(() => ExecutionType, { description: 'Stops a run that has not finished; it ends CANCELLED.' })
  cancelExecution(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.cancel(ctx, id);
  }

  @Authorized('executions:read')
  @Directive('@tag(name: "partner")')
  @Query(() => ExecutionType)
  execution(@Directive('@tag(name: "partner")') @Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.get(ctx.em, id);
  }

  @Authorized('executions:read')
  @Query(() => [ExecutionType], {
    nullable: 'items',
    description: 'Runs by id, in the order given (at most 100 ids), read together: an id that names no run of yours is null '
      + 'with a NOT_FOUND error at its index, and the others still answer. For a client following many runs at once.',
  })
  executionsByIds(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: AuthedContext) {
    return this.domain.getMany(ctx.em, ids);
  }

  @Authorized('executions:read')
  @Directive('@tag(name: "partner")')
  @Query(() => ExecutionConnection, { description: 'Runs, newest first.' })
  async executions(
    @Directive('@tag(name: "partner")') @Arg('filter', () => ExecutionFilterInput, { nullable: true }) filter: ExecutionFilterInput | null,
    @Directive('@tag(name: "partner")') @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Directive('@tag(name: "partner")') @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: AuthedContext,
  ) {
    const size = pageSize(first);
    return toConnection(await this.domain.list(ctx.em, filter ?? {}, { first: size, after }), size, after);
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => ExecutionProgress)
  progress(@Root() run: Execution): ExecutionProgress {
    return { percent: run.progressPercent == null ? null : Number(run.progressPercent), rowsProcessed: Number(run.rowsProcessed) };
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => [ExecutionStep])
  steps(@Root() run: Execution, @Ctx() ctx: AuthedContext) {
    return this.domain.steps(ctx.em, run.id);
  }

  @FieldResolver(() => [ExecutionLogLine], { description: 'The run\'s log lines, oldest first: its first ones, or with `last` its latest ones.' })
  logs(
    @Root() run: Execution,
    @Arg('limit', () => Int, { defaultValue: 200, description: 'How many lines: 1 to 1000.' }) limit: number,
    @Arg('last', () => Boolean, { defaultValue: false, description: 'The latest `limit` lines instead of the first (still oldest first).' }) last: boolean,
    @Arg('levels', () => [String], { nullable: true, description: 'Only lines of these levels: info, warn, error (default: all).' }) levels: string[] | null,
    @Ctx() ctx: AuthedContext,
  ) {
    return this.domain.logs(ctx.em, run.id, limit, last, levels);
  }

  @FieldResolver(() => Int, {
    description: 'How many warnings the run logged (its `warn` lines): a run can succeed with something worth a look, such as cells '
      + 'right of the header ignored or rows past what Excel opens. `logs(levels: ["warn"])` lists them.',
  })
  warningCount(@Root() run: Execution, @Ctx() ctx: AuthedContext) {
    return this.domain.warningCount(ctx.em, run.id);
  }

  @FieldResolver(() => Int)
  timeoutSeconds(@Root() run: Execution): number { return Math.round(run.timeoutMs / 1000); }

  @FieldResolver(() => Float, {
    description: 'The sequence of the run\'s last event so far (what `ExecutionUpdateEvent.sequence` counts; 1 when it was accepted). '
      + 'The run read with it reflects every event up to it: events at or below it add nothing new.',
  })
  eventSequence(@Root() run: Execution): number { return Number(run.sequence); }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => ExecutionError, { nullable: true })
  error(@Root() run: Execution) { return run.error; }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => [FileRef], { description: 'Files the run produced (kind ARTIFACT), once it SUCCEEDED.' })
  artifacts(@Root() run: Execution): FileRef[] { return (run.artifacts ?? []).map((a) => ({ id: a.fileId })); }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => FileRef)
  inputFile(@Root() run: Execution): FileRef { return { id: run.inputFileId }; }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => [RunFile], { description: 'The other files the run was given (a lookup\'s), by key; empty when none were.' })
  files(@Root() run: Execution): RunFile[] { return (run.files ?? []).map((f) => ({ key: f.key, file: { id: f.fileId } })); }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => WorkflowVersionRef)
  workflowVersion(@Root() run: Execution): WorkflowVersionRef { return { id: run.workflowVersionId }; }

  @FieldResolver(() => UserRef, { nullable: true })
  requestedBy(@Root() run: Execution): UserRef | null { return run.requestedBy.startsWith('service:') ? null : { id: run.requestedBy }; }
}

@Resolver(() => WorkflowRef)
export class WorkflowExecutionsResolver {
  constructor(private readonly domain: ExecutionsDomain) {}

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => ExecutionConnection, { description: 'This workflow\'s runs, newest first.' })
  async executions(
    @Root() workflow: WorkflowRef,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: AuthedContext,
  ) {
    const size = pageSize(first);
    return toConnection(await this.domain.ofWorkflow(ctx.em, workflow.id, { first: size, after }), size, after);
  }
}
