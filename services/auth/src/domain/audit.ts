import { badInput, decodeCursor, newId, pageSize, toConnection, type EntityManager } from '@rowline/kit';
import { AuditEventEntity } from '../store/entities.js';

/**
 * Every type the audit log records; `auditEvents(type:)` accepts only these and its description lists them.
 * The entity's `type` is an `AuditType`, so an event whose type is missing here does not compile: the filter
 * cannot refuse a type the log holds.
 */
export const AUDIT_TYPES = [
  'tenant.created', 'login.succeeded', 'login.failed', 'login.rate_limited', 'member.invited', 'invitation.accepted',
  'member.role_changed', 'member.removed', 'refresh_token.reused', 'session.logged_out', 'password.changed',
  'signing_key.rotated', 'apiKey.created', 'apiKey.revoked', 'apiKey.rotated',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

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
  const after = decodeCursor(opts.after);
  const rows = await em.find(AuditEventEntity, {
    tenantId, ...(type ? { type } : {}), ...(after ? { id: { $lt: after } } : {}),
  }, { orderBy: { id: 'desc' }, limit: size + 1 });
  return toConnection(rows, size);
}
