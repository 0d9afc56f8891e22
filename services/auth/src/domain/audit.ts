import { badInput, findPage, newId, pageSize, toConnection, type EntityManager } from '@rowline/kit';
import { AUDIT_TYPES, AuditEventEntity, type AuditType } from '../store/entities.js';

export { AUDIT_TYPES, type AuditType } from '../store/entities.js';

function auditType(type: string): AuditType {
  const known = AUDIT_TYPES.find((t) => t === type);
  if (!known) throw badInput(`Unknown audit event type ${type}`, { argument: 'type', allowed: AUDIT_TYPES });
  return known;
}

export type AuditEntry = {
  tenantId?: string | null; actorId?: string | null; address?: string | null; details?: Record<string, unknown>;
};

/**
 * Adds an audit event to `em`'s unit of work, so it commits (or rolls back) with the change it describes.
 * Events without a tenant (a failed log-in for an unknown email) are kept for operators, never shown to a tenant.
 */
export function recordAudit(em: EntityManager, type: AuditType, e: AuditEntry) {
  return em.create(AuditEventEntity, {
    id: newId(), type, tenantId: e.tenantId ?? null, actorId: e.actorId ?? null, address: e.address ?? null,
    details: { ...e.details },
  });
}

/** One tenant's audit log, newest first, paged by the events' time-ordered ids; `type` must be one of AUDIT_TYPES. */
export async function listAudit(em: EntityManager, tenantId: string, opts: { first?: number | null; after?: string | null; type?: string | null }) {
  const type = opts.type ? auditType(opts.type) : null;
  const size = pageSize(opts.first);
  const page = await findPage(em, AuditEventEntity, { tenantId, ...(type ? { type } : {}) }, { first: size, after: opts.after }, 'desc');
  return toConnection(page, size, opts.after);
}
