import type { EntityManager } from './orm.js';
import type { Logger } from './logger.js';
import type { Principal } from './internal-token.js';
import { AppError } from './errors.js';
import { permits, permissionsOf } from './permissions.js';

/** What every resolver receives. Built once per request by the subgraph server. */
export type RequestContext = {
  requestId: string;
  principal: Principal | null;
  logger: Logger;
  /** The end client's address as the gateway saw it (for audit and rate limits). */
  clientAddress?: string;
  /** Scoped to the principal's tenant; absent for anonymous calls. */
  em: EntityManager | null;
};

export type AuthedContext = RequestContext & { principal: Principal; em: EntityManager };

/** Throws UNAUTHENTICATED / FORBIDDEN unless the caller may do `permission` (`resource:action`). */
export function authorize(ctx: RequestContext, permission?: string): asserts ctx is AuthedContext {
  if (!ctx.principal || !ctx.em) throw new AppError('UNAUTHENTICATED', 'Authentication required');
  if (!permission) return;
  const granted = permissionsOf(ctx.principal.role);
  const scoped = ctx.principal.scopes.length === 0 || permits(ctx.principal.scopes, permission);
  if (!permits(granted, permission) || !scoped) {
    throw new AppError('FORBIDDEN', `Missing permission ${permission}`);
  }
}
