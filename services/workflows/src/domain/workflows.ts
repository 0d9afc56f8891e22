import type { EntityManager, Principal } from '@rowline/kit';
import { badInput, conflict, newId, notFound, decodeCursor, isUuid } from '@rowline/kit';
import { WorkflowEntity, WorkflowVersionEntity, type Workflow, type WorkflowVersion } from '../store/entities.js';

export type StepSpec = { type: string; params: Record<string, unknown> };
export type StepIssue = { path: string; code: string; message: string };
export type StepValidator = (steps: unknown) => StepIssue[];

export type WorkflowsDomain = ReturnType<typeof createWorkflowsDomain>;

/** Workflows and their immutable versions. Knows nothing of GraphQL; callers pass a tenant-scoped em. */
export function createWorkflowsDomain(deps: { validateSteps: StepValidator }) {
  const checkSteps = (steps: StepSpec[]) => {
    const issues = deps.validateSteps(steps);
    if (issues.length) throw badInput('The workflow steps are invalid', { issues });
  };

  return {
    async create(em: EntityManager, actor: Principal, input: { name: string; description?: string | null; steps: StepSpec[] }) {
      const name = input.name.trim();
      if (!name || name.length > 200) throw badInput('name must have 1 to 200 characters', { field: 'name' });
      checkSteps(input.steps);
      const workflow = em.create(WorkflowEntity, {
        id: newId(), tenantId: actor.tenantId, name, description: input.description ?? '', createdBy: actor.subject,
        latestVersionNumber: 1,
      });
      const version = em.create(WorkflowVersionEntity, {
        id: newId(), tenantId: actor.tenantId, workflowId: workflow.id, number: 1, steps: input.steps,
        note: 'Initial version', createdBy: actor.subject,
      });
      workflow.latestVersionId = version.id;
      await em.flush();
      return { workflow, version };
    },

    /**
     * Saves a new version on top of `baseVersionId`. The conditional update makes the check and the move
     * of the head one atomic step: of two editors saving on the same base, exactly one wins.
     */
    async saveVersion(em: EntityManager, actor: Principal, input: { workflowId: string; baseVersionId: string; steps: StepSpec[]; note?: string | null }) {
      checkSteps(input.steps);
      return em.transactional(async (tx) => {
        const workflow = isUuid(input.workflowId) ? await tx.findOne(WorkflowEntity, { id: input.workflowId }) : null;
        if (!workflow) throw notFound('Workflow', input.workflowId);
        if (workflow.status === 'ARCHIVED') throw conflict('The workflow is archived');
        const versionId = newId();
        const number = workflow.latestVersionNumber + 1;
        // A base that is not even an id cannot be the head; comparing it in SQL would fail the uuid cast.
        const moved = !isUuid(input.baseVersionId) ? 0 : await tx.nativeUpdate(
          WorkflowEntity,
          { id: workflow.id, latestVersionId: input.baseVersionId },
          { latestVersionId: versionId, latestVersionNumber: number, updatedAt: new Date() },
        );
        if (moved !== 1) {
          throw conflict('The workflow changed since your base version', { latestVersionId: workflow.latestVersionId });
        }
        const version = tx.create(WorkflowVersionEntity, {
          id: versionId, tenantId: actor.tenantId, workflowId: workflow.id, number, steps: input.steps,
          note: input.note ?? '', createdBy: actor.subject,
        });
        await tx.flush();
        return version;
      });
    },

    async list(em: EntityManager, opts: { first: number; after?: string | null; includeArchived?: boolean }) {
      const afterId = decodeCursor(opts.after);
      return em.find(
        WorkflowEntity,
        { ...(afterId ? { id: { $gt: afterId } } : {}), ...(opts.includeArchived ? {} : { status: 'ACTIVE' as const }) },
        { orderBy: { id: 'asc' }, limit: opts.first + 1 },
      );
    },

    async get(em: EntityManager, id: string): Promise<Workflow> {
      const workflow = isUuid(id) ? await em.findOne(WorkflowEntity, { id }) : null;
      if (!workflow) throw notFound('Workflow', id);
      return workflow;
    },

    async getVersion(em: EntityManager, id: string): Promise<WorkflowVersion> {
      const version = isUuid(id) ? await em.findOne(WorkflowVersionEntity, { id }) : null;
      if (!version) throw notFound('Workflow version', id);
      return version;
    },

    async versionsOf(em: EntityManager, workflowId: string, opts: { first: number; after?: string | null }) {
      const afterId = decodeCursor(opts.after);
      return em.find(
        WorkflowVersionEntity,
        { workflowId, ...(afterId ? { id: { $lt: afterId } } : {}) },
        { orderBy: { id: 'desc' }, limit: opts.first + 1 },
      );
    },
  };
}
