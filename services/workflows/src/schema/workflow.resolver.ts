import { Arg, Args, ArgsType, Authorized, Ctx, Directive, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { WorkflowsDomain, StepValidator } from '../domain/workflows.js';
import type { Previewer } from '../domain/preview.js';
import {
  CreateWorkflowInput, CreateWorkflowPayload, PreviewWorkflowInput, RuleType, SaveWorkflowVersionInput, StepInput, StepIssue, UpdateWorkflowInput,
  WorkflowConnection, WorkflowDiff, WorkflowPreview, WorkflowType, WorkflowVersionConnection, WorkflowVersionType,
} from './types.js';

@ArgsType()
class PageArgs {
  @Directive('@tag(name: "partner")')
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Directive('@tag(name: "partner")')
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ArgsType()
class WorkflowListArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Also list archived workflows (by default only active ones are listed).' }) includeArchived?: boolean | null;
  @Field(() => String, { nullable: true, description: 'Only workflows whose name contains this text, in any case (1 to 200 characters).' }) nameContains?: string | null;
}

@Resolver(() => WorkflowType)
export class WorkflowResolver {
  constructor(private readonly domain: WorkflowsDomain) {}

  @Authorized('workflows:read')
  @Directive('@tag(name: "partner")')
  @Query(() => WorkflowConnection, { description: 'The tenant\'s active workflows, oldest first.' })
  async workflows(@Args(() => WorkflowListArgs) page: WorkflowListArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.list(ctx.em, { first: size, after: page.after, includeArchived: page.includeArchived ?? false, nameContains: page.nameContains }), size, page.after);
  }

  @Authorized('workflows:read')
  @Directive('@tag(name: "partner")')
  @Query(() => WorkflowType)
  workflow(@Directive('@tag(name: "partner")') @Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.get(ctx.em, id);
  }

  @Authorized('workflows:write')
  @Mutation(() => CreateWorkflowPayload)
  createWorkflow(@Arg('input', () => CreateWorkflowInput) input: CreateWorkflowInput, @Ctx() ctx: AuthedContext) {
    return this.domain.create(ctx.em, ctx.principal, input);
  }

  @Authorized('workflows:write')
  @Mutation(() => WorkflowVersionType)
  saveWorkflowVersion(@Arg('input', () => SaveWorkflowVersionInput) input: SaveWorkflowVersionInput, @Ctx() ctx: AuthedContext) {
    return this.domain.saveVersion(ctx.em, ctx.principal, input);
  }

  @Authorized('workflows:write')
  @Mutation(() => WorkflowType, { description: 'Renames the workflow or changes its description; a field left out (or null) stays as it is.' })
  updateWorkflow(@Arg('input', () => UpdateWorkflowInput) input: UpdateWorkflowInput, @Ctx() ctx: AuthedContext) {
    return this.domain.update(ctx.em, input);
  }

  @Authorized('workflows:write')
  @Mutation(() => WorkflowType, { description: 'Lists an archived workflow again and lets it take new versions; unarchiving an active one is fine.' })
  unarchiveWorkflow(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.unarchive(ctx.em, id);
  }

  @Authorized('workflows:write')
  @Mutation(() => WorkflowType, { description: 'Hides the workflow from `workflows` and refuses new versions; archiving twice is fine.' })
  archiveWorkflow(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.archive(ctx.em, id);
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => WorkflowVersionType, { nullable: true })
  latestVersion(@Root() workflow: WorkflowType, @Ctx() ctx: AuthedContext) {
    return workflow.latestVersionId ? this.domain.getVersion(ctx.em, workflow.latestVersionId) : null;
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => WorkflowVersionConnection, { description: 'Versions, newest first.' })
  async versions(@Root() workflow: WorkflowType, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.versionsOf(ctx.em, workflow.id, { first: size, after: page.after }), size, page.after);
  }
}

@Resolver(() => WorkflowVersionType)
export class WorkflowVersionResolver {
  constructor(private readonly domain: WorkflowsDomain) {}

  @Authorized('workflows:read')
  @Directive('@tag(name: "partner")')
  @Query(() => WorkflowVersionType)
  workflowVersion(@Directive('@tag(name: "partner")') @Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.getVersion(ctx.em, id);
  }

  @Authorized('workflows:write')
  @Mutation(() => WorkflowVersionType, { description: 'A new head version with the steps of an old one, noted "Restored from version N".' })
  restoreWorkflowVersion(@Arg('versionId', () => ID) versionId: string, @Ctx() ctx: AuthedContext) {
    return this.domain.restoreVersion(ctx.em, ctx.principal, versionId);
  }

  @Authorized('workflows:read')
  @Query(() => WorkflowDiff, { description: 'Step-level differences between two versions of one workflow, aligned by position.' })
  diffWorkflowVersions(@Arg('fromId', () => ID) fromId: string, @Arg('toId', () => ID) toId: string, @Ctx() ctx: AuthedContext) {
    return this.domain.diff(ctx.em, fromId, toId);
  }

  @Directive('@tag(name: "partner")')
  @FieldResolver(() => WorkflowType)
  workflow(@Root() version: WorkflowVersionType, @Ctx() ctx: AuthedContext) {
    return this.domain.get(ctx.em, version.workflowId);
  }
}

@Resolver()
export class RuleCatalogResolver {
  constructor(
    private readonly catalog: () => RuleType[],
    private readonly validateSteps: StepValidator,
    private readonly preview: Previewer,
  ) {}

  @Authorized()
  @Query(() => [RuleType], { description: 'The step types a workflow can use, with the JSON Schema of their params.' })
  ruleTypes() {
    return this.catalog();
  }

  @Authorized('workflows:read')
  @Query(() => [StepIssue], { description: 'Problems with these steps; empty when they are valid.' })
  validateWorkflow(@Arg('steps', () => [StepInput]) steps: StepInput[]) {
    return this.validateSteps(steps);
  }

  @Authorized('workflows:read')
  @Query(() => WorkflowPreview, { description: 'Runs steps (a draft) or a saved version on the first rows of a READY file; nothing is written.' })
  previewWorkflow(@Arg('input', () => PreviewWorkflowInput) input: PreviewWorkflowInput, @Ctx() ctx: AuthedContext) {
    return this.preview(ctx.em, ctx.principal, input);
  }
}
