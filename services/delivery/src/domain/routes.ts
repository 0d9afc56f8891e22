import type { EntityManager, Page, Principal } from '@rowline/kit';
import { badInput, batchLoader, decodeCursor, emptyPage, isUuid, newId, notFound, perRequest } from '@rowline/kit';
import { RouteEntity, type Route } from '../store/entities.js';
import { routeCounts, routePages, type RouteParent } from '../store/route-pages.js';
import type { DestinationsDomain } from './destinations.js';

/** Placeholders a file-name template may use; the delivery worker fills them in. */
export const TEMPLATE_PLACEHOLDERS = ['name', 'stem', 'ext', 'executionId', 'workflowId', 'date'] as const;

function checkPattern(pattern: string): string {
  if (!/^[A-Za-z0-9._\- *?]{1,200}$/.test(pattern)) {
    throw badInput('artifactPattern is a file-name glob of letters, digits, ". _ -", spaces, * and ?', { path: 'artifactPattern' });
  }
  return pattern;
}

/** Templates produce a bare file name: no directories, so a template cannot climb out of the destination's folder. */
function checkTemplate(template: string): string {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) {
    throw badInput(`fileNameTemplate uses unknown placeholders: ${unknown.join(', ')}`, { path: 'fileNameTemplate', allowed: TEMPLATE_PLACEHOLDERS });
  }
  const literal = template.replace(/\{[^}]*\}/g, 'x');
  if (!template.trim() || template.length > 200 || /[/\\\u0000-\u001f]/.test(literal) || literal.split('.').every((s) => s === '')) {
    throw badInput('fileNameTemplate must be a file name of at most 200 characters, without slashes', { path: 'fileNameTemplate' });
  }
  return template;
}

export type RoutesDomain = ReturnType<typeof createRoutesDomain>;

export function createRoutesDomain(deps: {
  destinations: DestinationsDomain;
  /** Throws NOT_FOUND unless the workflow exists in the principal's tenant (it lives in the workflows service). */
  checkWorkflow: (principal: Principal, workflowId: string) => Promise<void>;
}) {
  // `Workflow.routes` and `Destination.routes`, per request (its em): a list of workflows or destinations resolves the
  // field once per parent in one turn. The fields given the same page (first, after) read their pages in one
  // statement, and the counts their clients select in one more, whatever the number of parents.
  const pageLoads = perRequest<(parentId: string) => Promise<Route[]>>();
  const countLoads = perRequest<(parentId: string) => Promise<number>>();

  /**
   * Routes in id order (ids are time-ordered, and attaching again keeps the id: oldest first), one more than the page
   * for `hasNextPage`: what `findPage(em, RouteEntity, {<parent>Id}, page, 'asc')` answers, read with the same page of
   * the other parents of the request's turn. Paged like every list, so that `Destination.routes { destination { routes } }`,
   * a cycle, is priced by the gateway's cost limit by its page sizes.
   */
  async function routesOf(em: EntityManager, by: RouteParent, parentId: string, opts: { first: number; after?: string | null }): Promise<Page<Route>> {
    const afterId = decodeCursor(opts.after);
    // Rows come back keyed by the id as Postgres writes it; the comparison itself is of uuids, in any case.
    const id = parentId.toLowerCase();
    const page = { first: opts.first, afterId };
    const load = pageLoads(em, `${by}:${page.first}:${afterId ?? ''}`, () => batchLoader((ids: readonly string[]) => routePages(em, by, ids, page), []));
    return {
      rows: await load(id),
      count: () => countLoads(em, by, () => batchLoader((ids: readonly string[]) => routeCounts(em, by, ids), 0))(id),
    };
  }

  return {
    /**
     * Routes a workflow's artifacts to a destination. Attaching the same pair again updates the pattern and
     * template instead of failing, so clients can retry safely. The workflow lives in another service, which
     * is asked with the caller's principal: another tenant's workflow answers NOT_FOUND like a missing one.
     * A destination of a kind the platform cannot deliver to (EMAIL without an SMTP server) is refused,
     * KIND_NOT_AVAILABLE at destinationId, as createDestination refuses it.
     */
    async attach(em: EntityManager, actor: Principal, input: { workflowId: string; destinationId: string; artifactPattern?: string | null; fileNameTemplate?: string | null }): Promise<Route> {
      // Like any workflow id that does not exist (another tenant's included).
      if (!isUuid(input.workflowId)) throw notFound('Workflow', input.workflowId);
      const destination = await deps.destinations.get(em, input.destinationId);
      // The runs' deliveries there could only go DEAD. Attaching again a route made before is refused too (detach removes it).
      deps.destinations.checkKindAvailable(destination.kind, 'destinationId');
      await deps.checkWorkflow(actor, input.workflowId);
      const artifactPattern = checkPattern(input.artifactPattern ?? '*');
      const fileNameTemplate = checkTemplate(input.fileNameTemplate ?? '{name}');
      return em.upsert(RouteEntity, {
        id: newId(), tenantId: actor.tenantId, workflowId: input.workflowId, destinationId: destination.id,
        artifactPattern, fileNameTemplate, createdAt: new Date(),
      }, {
        onConflictFields: ['workflowId', 'destinationId'],
        onConflictAction: 'merge',
        onConflictMergeFields: ['artifactPattern', 'fileNameTemplate'],
      });
    },

    /** A page of a workflow's routes, oldest first (none for a malformed id: the workflow is another service's entity). */
    forWorkflow(em: EntityManager, workflowId: string, page: { first: number; after?: string | null }): Promise<Page<Route>> {
      if (!isUuid(workflowId)) return Promise.resolve(emptyPage());
      return routesOf(em, 'workflow', workflowId, page);
    },

    /** A page of the routes that send to a destination, oldest first. */
    forDestination(em: EntityManager, destinationId: string, page: { first: number; after?: string | null }): Promise<Page<Route>> {
      // Destinations come from this service's rows; a malformed id reached Postgres alone before, and must not fail a batch.
      if (!isUuid(destinationId)) throw badInput('destinationId is not a valid id', { field: 'destinationId' });
      return routesOf(em, 'destination', destinationId, page);
    },

    /**
     * Stops routing a workflow's artifacts to a destination: the next runs of the workflow deliver nothing
     * there. Deliveries already recorded go on (the ledger does not refer to routes). Answers the route's id;
     * NOT_FOUND when the workflow is not attached to the destination, in this tenant.
     */
    async detach(em: EntityManager, actor: Principal, input: { workflowId: string; destinationId: string }): Promise<string> {
      const where = { workflowId: input.workflowId, destinationId: input.destinationId, tenantId: actor.tenantId };
      const route = isUuid(input.workflowId) && isUuid(input.destinationId) ? await em.findOne(RouteEntity, where) : null;
      const removed = route ? await em.nativeDelete(RouteEntity, { id: route.id, tenantId: actor.tenantId }) : 0;
      if (!route || removed !== 1) throw notFound('Route', `from workflow ${input.workflowId} to destination ${input.destinationId}`);
      return route.id;
    },
  };
}
