import type { EntityManager, Page, Principal } from '@rowline/kit';
import { badInput, batchLoader, conflict, decodeCursor, findPage, nameContains, newId, notFound, isUuid, perRequest, rowsById } from '@rowline/kit';
import { diffSteps } from './diff.js';
import { WorkflowEntity, WorkflowVersionEntity, type Workflow, type WorkflowVersion } from '../store/entities.js';
import { versionCounts, versionPages } from '../store/workflow-versions.js';

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

  /**
   * Moves the head from `baseVersionId` to a new version. The conditional update makes the check and the move
   * one atomic step: of two editors saving on the same base, exactly one wins.
   */
  const appendVersion = async (tx: EntityManager, actor: Principal, workflow: Workflow, baseVersionId: string, steps: StepSpec[], note: string) => {
    if (workflow.status === 'ARCHIVED') throw conflict('The workflow is archived');
    const versionId = newId();
    const number = workflow.latestVersionNumber + 1;
    // A base that is not even an id cannot be the head; comparing it in SQL would fail the uuid cast.
    const moved = !isUuid(baseVersionId) ? 0 : await tx.nativeUpdate(
      WorkflowEntity,
      { id: workflow.id, latestVersionId: baseVersionId },
      { latestVersionId: versionId, latestVersionNumber: number, updatedAt: new Date() },
    );
    if (moved !== 1) {
      throw conflict('The workflow changed since your base version', { latestVersionId: workflow.latestVersionId });
    }
    const version = tx.create(WorkflowVersionEntity, {
      id: versionId, tenantId: actor.tenantId, workflowId: workflow.id, number, steps, note, createdBy: actor.subject,
    });
    await tx.flush();
    // The move bypassed the identity map, where the request's `workflow { latestVersion }` is read from next.
    await tx.refreshOrFail(workflow);
    return version;
  };

  // `Workflow.versions`, per request (its em): a list of workflows resolves the field once per workflow in one turn.
  // The fields given the same page (first, after) read their pages in one statement, and the counts their clients
  // select in one more, whatever the number of workflows.
  /** The workflow a mutation changes, read into `em` (whose flush writes the change), or NOT_FOUND. */
  const toChange = async (em: EntityManager, id: string): Promise<Workflow> => {
    const workflow = isUuid(id) ? await em.findOne(WorkflowEntity, { id }) : null;
    if (!workflow) throw notFound('Workflow', id);
    return workflow;
  };
  const setStatus = async (em: EntityManager, id: string, status: Workflow['status']): Promise<Workflow> => {
    const workflow = await toChange(em, id);
    if (workflow.status !== status) {
      workflow.status = status;
      await em.flush();
    }
    return workflow;
  };

  const pageLoads = perRequest<(workflowId: string) => Promise<WorkflowVersion[]>>();
  const countLoads = perRequest<(workflowId: string) => Promise<number>>();
  // A workflow or a version by id: the gateway's `_entities` call and `latestVersion` of a list name many in one turn,
  // read in one statement per entity.
  const workflowById = rowsById<Workflow>(WorkflowEntity);
  const versionById = rowsById<WorkflowVersion>(WorkflowVersionEntity);

  return {
    async create(em: EntityManager, actor: Principal, input: { name: string; description?: string | null; steps: StepSpec[] }) {
      const name = checkName(input.name);
      const description = checkDescription(input.description ?? '');
      checkSteps(input.steps);
      const workflow = em.create(WorkflowEntity, {
        id: newId(), tenantId: actor.tenantId, name, description, createdBy: actor.subject,
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

    /** Saves a new version on top of `baseVersionId`; a stale base answers CONFLICT. */
    async saveVersion(em: EntityManager, actor: Principal, input: { workflowId: string; baseVersionId: string; steps: StepSpec[]; note?: string | null }) {
      checkSteps(input.steps);
      return em.transactional(async (tx) => {
        const workflow = isUuid(input.workflowId) ? await tx.findOne(WorkflowEntity, { id: input.workflowId }) : null;
        if (!workflow) throw notFound('Workflow', input.workflowId);
        // A base that is no version of this workflow (another tenant's, say) is unknown here, not merely stale.
        if (isUuid(input.baseVersionId) && !(await tx.count(WorkflowVersionEntity, { id: input.baseVersionId, workflowId: workflow.id }))) {
          throw notFound('Workflow version', input.baseVersionId);
        }
        return appendVersion(tx, actor, workflow, input.baseVersionId, input.steps, input.note ?? '');
      });
    },

    /**
     * A new head whose steps equal an old version's. History stays as it was: the old version is copied, never
     * moved back to, so every version number keeps meaning what it meant.
     */
    async restoreVersion(em: EntityManager, actor: Principal, versionId: string) {
      return em.transactional(async (tx) => {
        const old = isUuid(versionId) ? await tx.findOne(WorkflowVersionEntity, { id: versionId }) : null;
        if (!old) throw notFound('Workflow version', versionId);
        const workflow = await tx.findOne(WorkflowEntity, { id: old.workflowId });
        if (!workflow) throw notFound('Workflow version', versionId);
        const steps = structuredClone(old.steps);
        checkSteps(steps);
        return appendVersion(tx, actor, workflow, workflow.latestVersionId ?? '', steps, `Restored from version ${old.number}`);
      });
    },

    /**
     * Renames the workflow or changes its description; what is not given stays. An archived workflow may be
     * renamed too. Versions are untouched: a name is not part of what runs.
     */
    async update(em: EntityManager, input: { id: string; name?: string | null; description?: string | null }): Promise<Workflow> {
      const name = input.name == null ? undefined : checkName(input.name);
      const description = input.description == null ? undefined : checkDescription(input.description);
      const workflow = await toChange(em, input.id);
      if (name !== undefined) workflow.name = name;
      if (description !== undefined) workflow.description = description;
      await em.flush();
      return workflow;
    },

    /** Lists the workflow again and lets it take new versions; unarchiving an active workflow is fine. */
    unarchive: (em: EntityManager, id: string): Promise<Workflow> => setStatus(em, id, 'ACTIVE'),

    /** Hides the workflow from listings and refuses new versions; its versions and runs stay readable. Idempotent. */
    archive: (em: EntityManager, id: string): Promise<Workflow> => setStatus(em, id, 'ARCHIVED'),

    async list(em: EntityManager, opts: { first: number; after?: string | null; includeArchived?: boolean; nameContains?: string | null }): Promise<Page<Workflow>> {
      return findPage(em, WorkflowEntity, {
        ...(opts.includeArchived ? {} : { status: 'ACTIVE' as const }),
        ...nameContains(opts.nameContains, 'nameContains'),
      }, opts, 'asc');
    },

    async get(em: EntityManager, id: string): Promise<Workflow> {
      const workflow = await workflowById(em, id);
      if (!workflow) throw notFound('Workflow', id);
      return workflow;
    },

    async getVersion(em: EntityManager, id: string): Promise<WorkflowVersion> {
      const version = await versionById(em, id);
      if (!version) throw notFound('Workflow version', id);
      return version;
    },

    /** Step-level differences from one version to another of the same workflow. */
    async diff(em: EntityManager, fromId: string, toId: string) {
      const find = async (id: string) => {
        const version = isUuid(id) ? await em.findOne(WorkflowVersionEntity, { id }) : null;
        if (!version) throw notFound('Workflow version', id);
        return version;
      };
      const from = await find(fromId);
      const to = await find(toId);
      if (from.workflowId !== to.workflowId) {
        throw badInput('Both versions must belong to the same workflow', { field: 'toId' });
      }
      return { from, to, changes: diffSteps(from.steps, to.steps) };
    },

    /**
     * A workflow's versions, newest first, as `findPage` answers them for it alone (the same page, cursor, count and
     * errors), read together with the same page of the other workflows asked for in the same turn of the request.
     */
    async versionsOf(em: EntityManager, workflowId: string, opts: { first: number; after?: string | null }): Promise<Page<WorkflowVersion>> {
      const afterId = decodeCursor(opts.after);
      // Workflows come from this service's rows; a malformed id reached Postgres alone before, and must not fail a batch.
      if (!isUuid(workflowId)) throw badInput('workflowId is not a valid id', { field: 'workflowId' });
      const id = workflowId.toLowerCase();
      const page = { first: opts.first, afterId };
      const load = pageLoads(em, `${page.first}:${afterId ?? ''}`, () => batchLoader((ids: readonly string[]) => versionPages(em, ids, page), []));
      return {
        rows: await load(id),
        count: () => countLoads(em, '', () => batchLoader((ids: readonly string[]) => versionCounts(em, ids), 0))(id),
      };
    },
  };
}

/** The longest description a workflow may have (characters). */
export const MAX_DESCRIPTION_LENGTH = 2000;

function checkName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 200) throw badInput('name must have 1 to 200 characters', { field: 'name' });
  return name;
}

function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw badInput(`description may have at most ${MAX_DESCRIPTION_LENGTH} characters`, { field: 'description', max: MAX_DESCRIPTION_LENGTH });
  }
  return description;
}
