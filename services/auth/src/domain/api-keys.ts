import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import {
  API_KEY_PREFIX, badInput, findPage, generateApiKey, isUuid, isWellFormedApiKey, newId, notFound, permissionsOf,
  type EntityManager, type Page, type Principal,
} from '@rowline/kit';
import { ApiKeyEntity, type ApiKey } from '../store/api-key.entity.js';
import { recordAudit, type AuditType } from './audit.js';

/** What a key may be given: read permissions only (a partner changes nothing), those a VIEWER holds. */
export const API_KEY_SCOPES: readonly string[] = permissionsOf('VIEWER').filter((p) => p.endsWith(':read'));
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;
const PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/**
 * The API-key HMAC secret when none is configured: a key of its own derived from the internal token secret
 * (HKDF), so one secret to provision still gives two unrelated keys. Changing that secret retires every key.
 */
export const deriveApiKeySecret = (internalTokenSecret: string): string =>
  Buffer.from(hkdfSync('sha256', internalTokenSecret, 'rowline', 'api-key-hmac', 32)).toString('base64url');

/** The verified identity behind a key, as the gateway needs it to sign internal tokens. */
export type VerifiedApiKey = { id: string; tenantId: string; scopes: string[]; expiresAt: Date | null };
export type CreatedApiKey = { apiKey: ApiKey; secret: string };
type Actor = Pick<Principal, 'tenantId' | 'subject'>;

/**
 * Partner API keys: created, listed, revoked and rotated by a tenant's admins; verified for the gateway.
 * Every query names the caller's tenant, so another tenant's key id is simply not found.
 */
export function createApiKeys(deps: { em: () => EntityManager; secret: string }) {
  const hashOf = (key: string) => createHmac('sha256', deps.secret).update(key).digest('hex');

  const audit = (em: EntityManager, type: AuditType, actor: Actor, address: string | undefined, details: Record<string, unknown>) =>
    recordAudit(em, type, { tenantId: actor.tenantId, actorId: actor.subject, address, details });

  function validScopes(scopes: string[]): string[] {
    const unique = [...new Set(scopes.map((s) => s.trim()))];
    if (!unique.length) throw badInput('scopes must name at least one permission', { field: 'scopes', allowed: API_KEY_SCOPES });
    const unknown = unique.filter((s) => !API_KEY_SCOPES.includes(s));
    if (unknown.length) {
      throw badInput(`API keys may only read; not allowed: ${unknown.join(', ')}`, { field: 'scopes', allowed: API_KEY_SCOPES });
    }
    return unique;
  }

  function insert(em: EntityManager, actor: Actor, fields: { name: string; scopes: string[]; expiresAt: Date | null; rotatedFromId?: string }): CreatedApiKey {
    const secret = generateApiKey();
    const apiKey = em.create(ApiKeyEntity, {
      id: newId(), tenantId: actor.tenantId, name: fields.name, prefix: secret.slice(0, PREFIX_LENGTH), lastFour: secret.slice(-4),
      keyHash: hashOf(secret), scopes: fields.scopes, createdBy: actor.subject, expiresAt: fields.expiresAt,
      rotatedFromId: fields.rotatedFromId ?? null, verifyCount: 0, requestCount: 0, costPoints: 0,
    });
    return { apiKey, secret };
  }

  async function owned(em: EntityManager, tenantId: string, id: string): Promise<ApiKey> {
    const row = isUuid(id) ? await em.findOne(ApiKeyEntity, { id, tenantId }) : null;
    if (!row) throw notFound('API key', id);
    return row;
  }

  return {
    async list(tenantId: string, page: { first: number; after?: string | null }): Promise<Page<ApiKey>> {
      return findPage(deps.em(), ApiKeyEntity, { tenantId }, page, 'desc');
    },

    async create(actor: Actor, input: { name: string; scopes: string[]; expiresAt?: Date | null }, address?: string): Promise<CreatedApiKey> {
      const name = input.name.trim();
      if (!name || name.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
      const scopes = validScopes(input.scopes);
      const expiresAt = input.expiresAt ?? null;
      if (expiresAt && expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future', { field: 'expiresAt' });
      const em = deps.em();
      const created = insert(em, actor, { name, scopes, expiresAt });
      audit(em, 'apiKey.created', actor, address, { apiKeyId: created.apiKey.id, name, scopes, expiresAt });
      await em.flush();
      return created;
    },

    async revoke(actor: Actor, id: string, address?: string): Promise<ApiKey> {
      const em = deps.em();
      const row = await owned(em, actor.tenantId, id);
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        audit(em, 'apiKey.revoked', actor, address, { apiKeyId: row.id });
        await em.flush();
      }
      return row;
    },

    /** A new key with the same name, scopes and expiry; the old one keeps working for `overlapSeconds` only. */
    async rotate(actor: Actor, id: string, overlapSeconds: number, address?: string): Promise<CreatedApiKey> {
      if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
        throw badInput(`overlapSeconds must be between 0 and ${MAX_OVERLAP_SECONDS}`, { field: 'overlapSeconds' });
      }
      return deps.em().transactional(async (tx) => {
        const old = await owned(tx, actor.tenantId, id);
        const now = Date.now();
        if (old.revokedAt || (old.expiresAt && old.expiresAt.getTime() <= now)) {
          throw badInput('A revoked or expired key cannot be rotated; create a new one', { field: 'id' });
        }
        const created = insert(tx, actor, { name: old.name, scopes: old.scopes, expiresAt: old.expiresAt ?? null, rotatedFromId: old.id });
        const overlapEnd = new Date(now + overlapSeconds * 1000);
        if (!old.expiresAt || old.expiresAt > overlapEnd) old.expiresAt = overlapEnd;
        audit(tx, 'apiKey.rotated', actor, address, { apiKeyId: old.id, newApiKeyId: created.apiKey.id, oldExpiresAt: old.expiresAt });
        return created;
      });
    },

    /**
     * The key's identity if it is well formed, known, not revoked and not expired; `null` otherwise. A
     * malformed key returns before any query. `usage` is what the gateway served since its last check.
     */
    async verify(key: string, usage: { requests: number; points: number } = { requests: 0, points: 0 }): Promise<VerifiedApiKey | null> {
      if (!isWellFormedApiKey(key)) return null;
      const hash = hashOf(key);
      const rows = await deps.em().getConnection().execute<Array<{
        id: string; tenant_id: string; scopes: string[]; expires_at: Date | null; key_hash: string;
      }>>(
        `update "auth"."api_keys" set last_used_at = now(), verify_count = verify_count + 1,
           request_count = request_count + ?, cost_points = cost_points + ?
         where key_hash = ? and revoked_at is null and (expires_at is null or expires_at > now())
         returning id, tenant_id, scopes, expires_at, key_hash`,
        [usage.requests, usage.points, hash]);
      const row = rows[0];
      // The index lookup found the row by hash; the comparison itself stays constant-time all the same.
      if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return null;
      return { id: row.id, tenantId: row.tenant_id, scopes: row.scopes, expiresAt: row.expires_at ? new Date(row.expires_at) : null };
    },

    /**
     * Adds what the gateway served with keys since its last report to their rows, revoked and expired keys
     * included: those requests were served (a key works for up to the gateway's cache lifetime after it is
     * revoked), and their usage arrives after the last check that still found the key valid. A row is matched
     * by id and tenant, as the gateway verified them; unknown ones are skipped. Answers how many rows it counted on.
     */
    async recordUsage(entries: UsageReport[]): Promise<number> {
      // One row per key: an UPDATE ... FROM joins a row to one of its matches only, so a second entry for the
      // same key in a report would be dropped, not added.
      const byKey = new Map<string, UsageReport>();
      for (const e of entries) {
        if (!isUuid(e.id) || !isUuid(e.tenantId) || (e.requests <= 0 && e.points <= 0)) continue;
        const had = byKey.get(`${e.id}/${e.tenantId}`);
        if (had) { had.requests += e.requests; had.points += e.points; } else byKey.set(`${e.id}/${e.tenantId}`, { ...e });
      }
      const valid = [...byKey.values()];
      if (!valid.length) return 0;
      const rows = await deps.em().getConnection().execute<Array<{ id: string }>>(
        `update "auth"."api_keys" k set request_count = k.request_count + u.requests, cost_points = k.cost_points + u.points,
           last_used_at = case when u.requests > 0 then greatest(k.last_used_at, now()) else k.last_used_at end
         from (values ${valid.map(() => '(?::uuid, ?::uuid, ?::bigint, ?::bigint)').join(', ')}) as u(id, tenant_id, requests, points)
         where k.id = u.id and k.tenant_id = u.tenant_id
         returning k.id`,
        valid.flatMap((e) => [e.id, e.tenantId, e.requests, e.points]));
      return rows.length;
    },
  };
}

/** Requests and cost points the gateway served with one key since its last report. */
export type UsageReport = { id: string; tenantId: string; requests: number; points: number };
export type ApiKeys = ReturnType<typeof createApiKeys>;
