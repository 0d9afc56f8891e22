import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { pageSize, toConnection, type AuthedContext } from '@rowline/kit';
import type { WorkflowsDomain, StepValidator } from '../domain/workflows.js';
import {
  CreateWorkflowInput, CreateWorkflowPayload, RuleType, SaveWorkflowVersionInput, StepInput, StepIssue,
  WorkflowConnection, WorkflowType, WorkflowVersionConnection, WorkflowVersionType,
} from './types.js';

@ArgsType()
class PageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => WorkflowType)
export class WorkflowResolver {
  constructor(private readonly domain: WorkflowsDomain) {}

  @Authorized('workflows:read')
  @Query(() => WorkflowConnection, { description: 'The tenant\'s workflows, oldest first.' })
  async workflows(@Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.list(ctx.em, { first: size, after: page.after }), size);
  }

  @Authorized('workflows:read')
  @Query(() => WorkflowType)
  workflow(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
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

  @FieldResolver(() => WorkflowVersionType, { nullable: true })
  latestVersion(@Root() workflow: WorkflowType, @Ctx() ctx: AuthedContext) {
    return workflow.latestVersionId ? this.domain.getVersion(ctx.em, workflow.latestVersionId) : null;
  }

  @FieldResolver(() => WorkflowVersionConnection, { description: 'Versions, newest first.' })
  async versions(@Root() workflow: WorkflowType, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: AuthedContext) {
    const size = pageSize(page.first);
    return toConnection(await this.domain.versionsOf(ctx.em, workflow.id, { first: size, after: page.after }), size);
  }
}

@Resolver(() => WorkflowVersionType)
export class WorkflowVersionResolver {
  constructor(private readonly domain: WorkflowsDomain) {}

  @Authorized('workflows:read')
  @Query(() => WorkflowVersionType)
  workflowVersion(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthedContext) {
    return this.domain.getVersion(ctx.em, id);
  }

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
}
